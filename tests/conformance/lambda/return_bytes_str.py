# Returns bytes: the Lambda runtime serialises them, and AWS records the
# result as the JSON string "HelloWorld!".
def handler(event, context):
    return b'"HelloWorld!"'
