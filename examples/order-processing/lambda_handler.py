import json

def lambda_handler(event, context):
    order_id = event.get('order_id', 'unknown')
    print(f'Traitement de la commande {order_id}')
    return {
        'statusCode': 200,
        'body': json.dumps({'message': 'Commande traitée', 'order_id': order_id})
    }
