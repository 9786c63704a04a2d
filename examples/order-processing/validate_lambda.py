def lambda_handler(event, context):
    """ValidateLambda: accept only orders whose order_id looks like "ORD-..."."""
    order_id = event.get('order_id')
    if not isinstance(order_id, str) or not order_id.startswith('ORD-'):
        raise ValueError(f"invalid order_id {order_id!r}: expected a string starting with 'ORD-'")
    return {**event, 'validated': True}
