#!/usr/bin/env python3
"""events_server.py - Amazon EventBridge for aslc's tests: turns EventBridge
calls in awsJson1_1 (`X-Amz-Target: AWSEvents.PutEvents`) into event buses
kept in memory, answered as EventBridge answers them.

    python3 events_server.py --port 0 --port-file F [--access-key K] [--throttle N]

Every request is checked against botocore's model of EventBridge
(awsproto.py).  PutEvents checks each entry as EventBridge does (Source,
DetailType and Detail present, Detail a JSON object) and fails the entries
that are not, with their ErrorCode and ErrorMessage, keeping the others;
CreateEventBus, DescribeEventBus, ListEventBuses, DeleteEventBus; the bus
"default" always exists.  The events accepted, as EventBridge delivers
them to a target ({"version", "id", "detail-type", "source", "account",
"time", "region", "resources", "detail"} with "event-bus-name" added), are
listed for the tests at GET /_aslc/events (?bus=NAME for one bus).
"""

import json
import os
import re
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsproto  # noqa: E402
from awsproto import ServiceError  # noqa: E402


def validation(message):
    """EventBridge's ValidationException."""
    return ServiceError("ValidationException", "1 validation error detected: " + message)


class Checker(awsproto.Checker):
    """EventBridge words a missing member as its request validation does,
    and a value of the wrong JSON type as a serialization error."""

    def missing(self, path):
        name = path.rsplit(".", 1)[-1]
        return validation("Value null at '%s' failed to satisfy constraint: Member must not be "
                          "null" % (name[:1].lower() + name[1:]))

    def wrong_type(self, path, value, type_name):
        return ServiceError("SerializationException",
                            "Unexpected value for member %s: expected %s" % (path, type_name))


def entry_error(entry):
    """The ErrorCode and ErrorMessage of an entry EventBridge refuses, or None."""
    for name in ("Source", "DetailType", "Detail"):
        if not entry.get(name):
            return ("InvalidArgument", "Parameter %s is not valid. Reason: %s is a required "
                    "argument." % (name, name))
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        detail = None
    if not isinstance(detail, dict):
        return ("MalformedDetail", "Detail is malformed.")
    return None


class Events(awsproto.Service):
    """Amazon EventBridge in memory."""
    model_name = "events"
    json_version = "1.1"
    speaks_query = False
    target_prefix = "AWSEvents"
    throttle_error = ServiceError("ThrottlingException", "Rate exceeded", 400)
    checker = Checker()

    def __init__(self, args):
        super().__init__(args)
        self.buses = {"default": self.bus_record("default")}
        self.events = []

    def bus_record(self, name, description=None):
        """A new event bus NAME as DescribeEventBus returns it."""
        t = awsproto.now()
        bus = {"Name": name, "Arn": "arn:aws:events:%s:%s:event-bus/%s"
               % (self.region, self.account, name), "CreationTime": t, "LastModifiedTime": t}
        if description:
            bus["Description"] = description
        return bus

    def test_endpoint(self, path, query):
        """GET /_aslc/events: the events accepted."""
        if path == "/_aslc/events":
            with self.lock:
                return [e for e in self.events
                        if "bus" not in query or e["event-bus-name"] == query["bus"]]
        return None

    def bus_name(self, name_or_arn):
        """A bus named by its name or its ARN."""
        name = name_or_arn or "default"
        m = re.fullmatch(r"arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/(.+)", name)
        return m.group(1) if m else name

    def unknown_bus(self, name):
        """EventBridge's error for a bus that does not exist."""
        return ServiceError("ResourceNotFoundException", "Event bus %s does not exist." % name)

    def PutEvents(self, req, p):
        """PutEvents: each entry accepted or failed alone; a missing bus fails the call."""
        entries = p["Entries"]
        if not 1 <= len(entries) <= 10:
            raise validation("Value '%s' at 'entries' failed to satisfy constraint: Member must "
                             "have length %s" % (
                                 json.dumps(entries)[:200],
                                 "less than or equal to 10" if entries
                                 else "greater than or equal to 1"))
        results = []
        failed = 0
        t = awsproto.now()
        with self.lock:
            for e in entries:
                bus = self.bus_name(e.get("EventBusName"))
                if bus not in self.buses:
                    raise self.unknown_bus(bus)
            for e in entries:
                err = entry_error(e)
                if err:
                    failed += 1
                    results.append({"ErrorCode": err[0], "ErrorMessage": err[1]})
                    continue
                eid = str(uuid.uuid4())
                when = e.get("Time") or t
                self.events.append({
                    "version": "0", "id": eid, "detail-type": e["DetailType"],
                    "source": e["Source"], "account": self.account,
                    "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": self.region,
                    "resources": e.get("Resources") or [],
                    "detail": json.loads(e["Detail"]),
                    "event-bus-name": self.bus_name(e.get("EventBusName"))})
                results.append({"EventId": eid})
        return {"Entries": results, "FailedEntryCount": failed}

    def CreateEventBus(self, req, p):
        """CreateEventBus: a new bus."""
        name = p["Name"]
        if not re.fullmatch(r"[/.\-_A-Za-z0-9]{1,256}", name) or name == "default":
            raise validation("Value '%s' at 'name' failed to satisfy constraint: Member must "
                             "satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+" % name)
        with self.lock:
            if name in self.buses:
                raise ServiceError("ResourceAlreadyExistsException",
                                   "Event bus %s already exists." % name)
            self.buses[name] = self.bus_record(name, p.get("Description"))
            return {"EventBusArn": self.buses[name]["Arn"]}

    def DescribeEventBus(self, req, p):
        """DescribeEventBus: a bus by name or ARN."""
        name = self.bus_name(p.get("Name"))
        with self.lock:
            if name not in self.buses:
                raise self.unknown_bus(name)
            return dict(self.buses[name])

    def ListEventBuses(self, req, p):
        """ListEventBuses: the buses with a name prefix, Limit at a time."""
        prefix = p.get("NamePrefix", "")
        limit = p.get("Limit", 100)
        start = int(p.get("NextToken") or 0)
        with self.lock:
            names = sorted(n for n in self.buses if n.startswith(prefix))
            out = {"EventBuses": [dict(self.buses[n]) for n in names[start:start + limit]]}
        if len(names) > start + limit:
            out["NextToken"] = str(start + limit)
        return out

    def DeleteEventBus(self, req, p):
        """DeleteEventBus: the bus is gone (default stays)."""
        name = p["Name"]
        if name == "default":
            raise validation("Cannot delete event bus default.")
        with self.lock:
            self.buses.pop(name, None)
        return {}


if __name__ == "__main__":
    sys.exit(awsproto.main(Events, "Amazon EventBridge (awsJson1_1) in memory"))
