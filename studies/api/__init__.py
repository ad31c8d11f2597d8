"""The REST API (/api/v1/): one APIView per operation, input and output serializers."""
