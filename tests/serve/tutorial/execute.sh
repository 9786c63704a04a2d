#!/bin/bash
aws stepfunctions start-execution \
  --state-machine-arn arn:aws:states:eu-west-1:123456789012:stateMachine:OrderProcessingWorkflow \
  --input '{"order_id": "ORD-12345"}'
