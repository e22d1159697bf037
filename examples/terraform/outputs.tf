# What `switchyard init` and the spec need: `switchyard init "$(terraform output -raw switchyard_init)"`.

output "switchyard_init" {
  description = "CLUSTER/SERVICE of the first service, the argument of switchyard init"
  value       = "${aws_ecs_cluster.this.name}/${aws_ecs_service.first.name}"
}

output "cluster" {
  value = aws_ecs_cluster.this.name
}

output "first_service" {
  description = "the spec's adopt.service"
  value       = aws_ecs_service.first.name
}

output "load_balancer" {
  description = "the spec's loadBalancer.name (listenerPort 443)"
  value       = aws_lb.this.name
}

output "hosts" {
  description = "the spec's hosts and hostedZone"
  value = {
    production = var.production_host
    stage      = var.stage_host
    zone       = var.hosted_zone
  }
}

output "production_rule" {
  description = "the production rule: the spec's productionRule.pathPatterns must equal path_patterns"
  value = {
    arn           = aws_lb_listener_rule.production.arn
    priority      = aws_lb_listener_rule.production.priority
    path_patterns = var.path_patterns
  }
}

output "network" {
  description = "the spec's network (subnets, securityGroups)"
  value = {
    subnets        = var.private_subnet_ids
    securityGroups = [aws_security_group.tasks.id]
  }
}

output "log_group" {
  description = "task-definition.json's awslogs-group"
  value       = aws_cloudwatch_log_group.service.name
}
