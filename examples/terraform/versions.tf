terraform {
  # `removed` blocks (README: retiring the first service from state) need Terraform 1.7.
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.64.0 added aws_appautoscaling_target.suspended_state, which lifecycle.ignore_changes names
      # (autoscaling.tf): Terraform refuses an ignore_changes entry the provider's schema does not have.
      version = "~> 5.64"
    }
  }
}

provider "aws" {
  region = var.region

  # No switchyard:* keys here: Switchyard treats what carries its tags as its own and deletes it at
  # teardown. What Terraform creates must stay untagged by Switchyard's keys, so it is never removed.
  default_tags {
    tags = {
      "managed-by" = "terraform"
      "service"    = var.service
    }
  }
}
