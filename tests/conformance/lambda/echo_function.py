# Returns a constant object.
def handler(event, context):
    return {"Return": "HelloWorld"}
