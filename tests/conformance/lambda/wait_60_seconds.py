# Sleeps past the TimeoutSeconds of the states that call it (States.Timeout).
import time


def handler(event, context):
    time.sleep(60)
    return event
