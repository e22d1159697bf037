variable "region" {
  type    = string
  default = "eu-west-1"
}

# The spec's `service` and `environment`: Switchyard names what it creates <service>-<environment>-<id>.
variable "service" {
  type    = string
  default = "web"
}

variable "environment" {
  type    = string
  default = "prod"
}

variable "cluster_name" {
  type    = string
  default = "main"
}

# The network is yours: this base creates none.
variable "vpc_id" {
  type = string
}

# The load balancer's subnets (public, one per Availability Zone, at least two).
variable "public_subnet_ids" {
  type = list(string)
}

# The tasks' subnets (private, with a NAT gateway or VPC endpoints to pull images and write logs).
variable "private_subnet_ids" {
  type = list(string)
}

# Must cover both hosts below (e.g. *.example.com): Switchyard routes the stage host through this
# HTTPS listener too.
variable "certificate_arn" {
  type = string
}

# A public Route 53 hosted zone that holds both hosts.
variable "hosted_zone" {
  type    = string
  default = "example.com"
}

variable "production_host" {
  type    = string
  default = "web.example.com"
}

# Switchyard's stage host (its rule and record exist only while a deployment is staged). Not used by
# Terraform; here so the outputs can print the spec's hosts.
variable "stage_host" {
  type    = string
  default = "stage.web.example.com"
}

# The production rule's path patterns: the spec's productionRule.pathPatterns must list the same ones,
# since Switchyard finds production's rule by its full condition set (host + these).
variable "path_patterns" {
  type    = list(string)
  default = ["/*"]
}

variable "production_rule_priority" {
  type    = number
  default = 100
}

# Optional OpenID Connect login in front of production (null: none). The secret is a variable of its own:
# a sensitive value cannot decide how many action blocks there are.
variable "oidc" {
  type = object({
    issuer                 = string
    authorization_endpoint = string
    token_endpoint         = string
    user_info_endpoint     = string
    client_id              = string
  })
  default = null
}

variable "oidc_client_secret" {
  type      = string
  default   = null
  sensitive = true
}

# The first service only: later images come from `switchyard deploy --image`.
variable "image" {
  type    = string
  default = "public.ecr.aws/nginx/nginx:1.27"
}

variable "container_name" {
  type    = string
  default = "web"
}

variable "container_port" {
  type    = number
  default = 80
}

variable "health_check_path" {
  type    = string
  default = "/"
}

variable "min_capacity" {
  type    = number
  default = 6
}

variable "max_capacity" {
  type    = number
  default = 40
}

variable "cpu_target_percent" {
  type    = number
  default = 60
}

# Requests per target per minute (ALBRequestCountPerTarget).
variable "requests_per_target" {
  type    = number
  default = 1000
}

# Normally null. The target group production is on now (`switchyard status`), for the rare apply that
# rewrites the production rule's actions: adding or removing the OIDC action (see alb.tf).
variable "live_target_group_arn" {
  type    = string
  default = null
}
