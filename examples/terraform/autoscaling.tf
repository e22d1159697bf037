# The first service's Application Auto Scaling. `autoScaling: { from: production }` in the spec copies it
# to each new service at deploy time (min/max and the target-tracking policies, the request-count
# policy's resource label rewritten to the new target group); from the second deployment on, what it
# copies is the previous Switchyard service's, so bounds changed here no longer reach production.

resource "aws_appautoscaling_target" "first" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  # A service Terraform replaced loses its target and policies without Terraform noticing
  # (hashicorp/terraform-provider-aws#10432): one more reason the first service is never replaced.
  resource_id  = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.first.name}"
  min_capacity = var.min_capacity
  max_capacity = var.max_capacity

  lifecycle {
    # Needed with adopt.retire: scaleToZero. Once production has left this service, Switchyard suspends
    # its scaling (so the policies below do not scale it up from 0 again); it leaves min and max as they
    # are. Without this the next apply would resume scaling and raise the service to 6 tasks that no rule
    # sends traffic to. min/max are ignored too: any re-registration of the target (which an apply makes
    # when they change) clamps the service's desired count into [min, max] (RegisterScalableTarget), which
    # would also start 6 tasks. Change them after adoption by removing this target from the state instead
    # (README: after the first deployment). With retire: leave, drop the whole lifecycle block.
    ignore_changes = [suspended_state, min_capacity, max_capacity]
  }
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.service}-${var.environment}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.first.service_namespace
  scalable_dimension = aws_appautoscaling_target.first.scalable_dimension
  resource_id        = aws_appautoscaling_target.first.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  name               = "${var.service}-${var.environment}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.first.service_namespace
  scalable_dimension = aws_appautoscaling_target.first.scalable_dimension
  resource_id        = aws_appautoscaling_target.first.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      # app/<lb name>/<lb id>/targetgroup/<tg name>/<tg id>: the two ARN suffixes, in that order
      # (hashicorp/terraform-provider-aws#9734). It names the first target group; Switchyard writes each
      # new service's policy with its own target group's label.
      resource_label = "${aws_lb.this.arn_suffix}/${aws_lb_target_group.first.arn_suffix}"
    }
  }
}
