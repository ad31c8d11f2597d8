"""The error answers every operation can give, added to the OpenAPI schema in one place.

Views document what is particular to them (a 400 for bad input, a 429); what follows from how an
endpoint is reached is the same everywhere: a signed-in endpoint answers 401 without credentials, an
id in the path 404 when it names nothing the caller may see (another producer's campaign included),
a page number 404 past the last page, a query filter 400 when it is malformed, a body 400 when it
cannot be read or breaks a rule (413 over the size limit).
All of them in the shape of studies.api.serializers.ErrorSerializer.
"""

ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}

DEFAULT_ERRORS = {
    "400": "The request cannot be read or breaks a rule; `detail` says which, `field` names the input.",
    "401": "No valid credentials: send `Authorization: Token <key>` (or sign in on the site).",
    "404": "Nothing by that id (or page) that the caller may see.",
    "413": "The request body is over the size limit.",
}


def add_default_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            signed_in = bool(operation.get("security")) and {} not in operation["security"]
            queried = {parameter["name"] for parameter in operation.get("parameters", [])
                       if parameter.get("in") == "query"}
            wanted = []
            if signed_in:
                wanted.append("401")
            if "{" in path or "page" in queried:
                wanted.append("404")
            if queried - {"page"}:  # filters are checked, not guessed
                wanted.append("400")
            if "requestBody" in operation:
                wanted += ["400", "413"]
            for code in wanted:
                responses.setdefault(code, {"description": DEFAULT_ERRORS[code],
                                            "content": {"application/json": {"schema": ERROR_SCHEMA}}})
    return result
