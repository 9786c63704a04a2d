#!/bin/bash
aws stepfunctions create-state-machine \
  --name OrderProcessingWorkflow \
  --definition file://state-machine-v2.json \
  --role-arn arn:aws:iam::123456789012:role/StepFunctionsRole
