# The load balancer, its HTTPS listener, the production rule and the first target group.

resource "aws_lb" "this" {
  name               = "${var.service}-${var.environment}"
  load_balancer_type = "application"
  internal           = false
  security_groups    = [aws_security_group.alb.id]
  subnets            = var.public_subnet_ids
}

# Switchyard adds its rules to this listener (the stage host's while a deployment is staged) and never
# changes the listener itself: nothing here needs ignore_changes. Requests no rule matches get a 404.
resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      message_body = "not found"
      status_code  = "404"
    }
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

# The first service's target group. Switchyard never deletes it (it did not create it: no switchyard:*
# tags); after the first deployment no rule forwards to it. Keep it in Terraform: the production rule's
# (ignored) forward action below still names it.
resource "aws_lb_target_group" "first" {
  name                 = "${var.service}-${var.environment}-first"
  vpc_id               = var.vpc_id
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip" # awsvpc (Fargate) tasks register by IP
  deregistration_delay = 300

  health_check {
    path                = var.health_check_path
    matcher             = "200-399"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

# Production's rule: Terraform owns its conditions, priority and the optional authenticate-oidc action;
# Switchyard owns its forward action. Switchyard finds this rule by its full condition set (the spec's
# hosts.production + productionRule.pathPatterns: keep them equal to what is here) and changes only the
# forward action (weights between the previous and the new deployment's target groups), sending the
# other actions back as they are.
resource "aws_lb_listener_rule" "production" {
  listener_arn = aws_lb_listener.https.arn
  priority     = var.production_rule_priority

  dynamic "action" {
    for_each = var.oidc == null ? [] : [var.oidc]
    content {
      type = "authenticate-oidc"

      authenticate_oidc {
        issuer                     = action.value.issuer
        authorization_endpoint     = action.value.authorization_endpoint
        token_endpoint             = action.value.token_endpoint
        user_info_endpoint         = action.value.user_info_endpoint
        client_id                  = action.value.client_id
        client_secret              = var.oidc_client_secret
        on_unauthenticated_request = "authenticate"
      }
    }
  }

  # Where production goes before the first deployment; Switchyard's from then on.
  action {
    type             = "forward"
    target_group_arn = coalesce(var.live_target_group_arn, aws_lb_target_group.first.arn)
  }

  condition {
    host_header {
      values = [var.production_host]
    }
  }

  condition {
    path_pattern {
      values = var.path_patterns
    }
  }

  lifecycle {
    # Switchyard rewrites the forward action to a weighted `forward` block over two target groups, then
    # to the new one alone; without this every plan would put production back on the first target group
    # (hashicorp/terraform-provider-aws#28129 shows the weighted block a plan then wants to remove;
    # terraform-aws-modules/terraform-aws-alb#219 and #409 the same need for CodeDeploy and ECS blue/green).
    #
    # `action` is a list, so Terraform can ignore the forward action's own attributes rather than every
    # action: Terraform keeps owning the authenticate-oidc action (a changed client secret or scope
    # still applies). Its index is 0 without OIDC and 1 with it, and ignore_changes takes no variables,
    # so both are listed (an index the list does not have matches nothing). Both attributes: AWS reports
    # one target group as target_group_arn and several as a forward block.
    #
    # The price of ignoring only these (not `action` as a whole): an apply that changes the OIDC action
    # sends the forward action back as Terraform last read it. Applied while a deployment shifts
    # traffic, that can be an older weight: Switchyard then finds the rule changed, pauses and says so
    # (`switchyard resume` or `switchyard rollback`). Apply rule changes between deployments.
    # Adding or removing the OIDC action moves the forward action's index, and the plan would then send
    # production back to target_group_arn: first set var.live_target_group_arn to the target group
    # production is on (`switchyard status`), and read the plan before applying.
    # Ignoring `action` as a whole avoids that, but then auth changes never apply from Terraform: they
    # need `aws elbv2 modify-rule` (every action, the forward one as it is now) or one apply with the
    # ignore lifted and var.live_target_group_arn set, between deployments.
    ignore_changes = [
      action[0].target_group_arn,
      action[0].forward,
      action[1].target_group_arn,
      action[1].forward,
    ]
  }
}
