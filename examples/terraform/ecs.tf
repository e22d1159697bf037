# The cluster, and the first service with its task definition: production until the first Switchyard
# deployment, which leaves it as it is or scales it to 0 (the spec's adopt.retire) and never deletes it.

resource "aws_ecs_cluster" "this" {
  name = var.cluster_name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "service" {
  # Shared by the first service and Switchyard's (task-definition.json names it).
  name              = "/ecs/${var.service}-${var.environment}"
  retention_in_days = 30
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# The first task definition's execution role. Switchyard's revisions get their own roles
# (switchyard-<service>-<environment>-task/-execution) unless task-definition.json names roles.
resource "aws_iam_role" "execution" {
  name               = "${var.service}-${var.environment}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# A family of its own: Switchyard registers its revisions in <service>-<environment>, and keeping
# Terraform's out of it keeps each tool's revisions apart.
resource "aws_ecs_task_definition" "first" {
  family                   = "${var.service}-${var.environment}-first"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "512"
  memory                   = "1024"
  execution_role_arn       = aws_iam_role.execution.arn

  container_definitions = jsonencode([
    {
      name         = var.container_name
      image        = var.image
      essential    = true
      portMappings = [{ containerPort = var.container_port, protocol = "tcp" }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          "awslogs-group"         = aws_cloudwatch_log_group.service.name
          "awslogs-region"        = var.region
          "awslogs-stream-prefix" = var.service
        }
      }
    }
  ])
}

resource "aws_ecs_service" "first" {
  name                              = "${var.service}-${var.environment}"
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.first.arn
  desired_count                     = var.min_capacity
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = 60
  propagate_tags                    = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.first.arn
    container_name   = var.container_name
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # ECS refuses a service whose target group no listener or rule forwards to (InvalidParameterException
  # "does not have an associated load balancer", hashicorp/terraform#12634): the rule comes first.
  depends_on = [aws_lb_listener_rule.production]

  lifecycle {
    # Application Auto Scaling moves desired_count between 6 and 40, and Switchyard sets it to 0 when the
    # spec says adopt.retire: scaleToZero; without this every apply would put it back to min_capacity
    # (hashicorp/terraform#10308, hashicorp/terraform#9690 = hashicorp/terraform-provider-aws#335,
    # hashicorp/terraform-provider-aws#752).
    #
    # task_definition is not ignored: Switchyard never updates this service (its deployments are new
    # services), so there is no drift to hide, and ignoring it would only hide your own change. After the
    # first deployment this service serves no traffic: retire it from Terraform's state (README.md) rather
    # than roll it to a new image.
    ignore_changes = [desired_count]
  }
}
