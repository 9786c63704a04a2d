"""A Python callback function: completes its own task, as a Lambda function
would with boto3's send_task_success, here through the aslc command."""
import json
import os
import subprocess


def lambda_handler(event, context):
    subprocess.run([os.environ["CALLBACK_CLI"], "send-task-success",
                    "--task-token", event["token"],
                    "--task-output", json.dumps({"python": event["n"] + 1})],
                   check=True)
    return {"submitted": True}
