# Returns "input-event-" followed by str() of the event.
def handler(event, context):
    return "input-event-" + str(event)
