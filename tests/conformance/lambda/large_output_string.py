# Returns 257 KiB of text, over the 256 KiB payload limit
# (States.DataLimitExceeded).
def handler(event, context):
    return ("a" * (257 * 1024)).encode("utf-8")
