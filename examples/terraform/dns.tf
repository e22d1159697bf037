data "aws_route53_zone" "this" {
  name         = var.hosted_zone
  private_zone = false
}

# The production record: an alias to the load balancer, as Switchyard writes it (A, EvaluateTargetHealth
# false), so Switchyard's UPSERT of it changes nothing; a record that points elsewhere it refuses to
# replace unless the spec sets hosts.overwriteProductionRecord.
resource "aws_route53_record" "production" {
  zone_id = data.aws_route53_zone.this.zone_id
  name    = var.production_host
  type    = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = false
  }

  lifecycle {
    # With hosts.productionRecord: manage (the spec's default) Switchyard writes this record's alias
    # (an UPSERT at the first weight change, and the rollback's restore when it replaced a record): the
    # record is then Switchyard's, and Terraform only creates it. To keep the record Terraform's (e.g. an
    # alias to CloudFront in front of the load balancer), set productionRecord: leave in the spec and
    # delete this ignore_changes: Switchyard then never writes it.
    ignore_changes = [alias]
  }
}
