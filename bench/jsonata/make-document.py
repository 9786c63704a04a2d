#!/usr/bin/env python3
"""make-document.py - writes document.json, the input of the JSONata
benchmark: an order of 100 line items, as a Step Functions state would
receive it.  Deterministic (a fixed linear congruential generator), so the
file can be regenerated identically."""
import json
import os

state = 12345


def rnd(n):
    global state
    state = (state * 1103515245 + 12345) % 2**31
    return state % n


categories = ["tools", "garden", "kitchen", "books", "toys", "office"]
words = ["steel", "compact", "deluxe", "classic", "smart", "eco", "heavy", "mini",
         "pro", "travel", "family", "outdoor"]
things = ["hammer", "rake", "kettle", "novel", "puzzle", "stapler", "lamp", "drill",
          "shovel", "pan", "atlas", "robot"]
items = []
for i in range(100):
    name = "%s %s %s" % (words[rnd(len(words))].title(), words[rnd(len(words))], things[rnd(len(things))])
    items.append({
        "sku": "SKU-%05d" % (10007 * (i + 1) % 100000),
        "name": name,
        "category": categories[rnd(len(categories))],
        "price": rnd(20000) / 100 + 0.99,
        "quantity": 1 + rnd(9),
        "inStock": rnd(4) != 0,
        "tags": [words[rnd(len(words))] for _ in range(1 + rnd(3))],
        "dimensions": {"width": 1 + rnd(100), "height": 1 + rnd(100), "depth": 1 + rnd(50)},
        "description": "The %s is a %s item for everyday use, sold by unit." % (name.lower(), words[rnd(len(words))]),
    })
doc = {
    "orderId": "ORD-2024-000731",
    "createdAt": "2024-05-17T09:31:07.250Z",
    "customer": {
        "id": "C-88213",
        "name": "Jane Q. Example",
        "email": "jane.example@example.com",
        "address": {"street": "12 Harbour Road", "city": "Cork", "postcode": "T12 X70P", "country": "IE"},
        "loyalty": {"tier": "gold", "points": 18250},
    },
    "currency": "EUR",
    "notes": "Leave the parcel with the neighbour at number 14 if nobody answers the door",
    "items": items,
    "shipping": {"method": "express", "cost": 12.5, "insured": True},
}
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "document.json"), "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
