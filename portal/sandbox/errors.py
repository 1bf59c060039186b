"""Stripe's error vocabulary: raise StripeError anywhere, the protocol renders Stripe's body."""


class StripeError(Exception):
    def __init__(
        self,
        status: int,
        type: str,
        message: str,
        code: str | None = None,
        param: str | None = None,
        extra: dict | None = None,
        headers: dict | None = None,
        keep_changes: bool = False,
    ):
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.code = code
        self.param = param
        # Further keys of the error object, e.g. decline_code or payment_intent on card errors.
        self.extra = extra or {}
        self.headers = headers or {}
        # Commit the handler's changes before answering with this error (Stripe keeps a
        # declined payment's PaymentIntent and failed charge).
        self.keep_changes = keep_changes

    def body(self, request_log_url: str | None = None) -> dict:
        error: dict = {}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = "https://stripe.com/docs/error-codes/" + self.code.replace("_", "-")
        error["message"] = self.message
        if self.param:
            error["param"] = self.param
        if request_log_url:
            error["request_log_url"] = request_log_url
        error["type"] = self.type
        error.update(self.extra)
        return {"error": error}


def invalid_request(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, "invalid_request_error", message, code=code, param=param)


def resource_missing(noun: str, id: str, param: str = "id") -> StripeError:
    return StripeError(
        404, "invalid_request_error", f"No such {noun}: '{id}'", code="resource_missing", param=param
    )


def unknown_parameter(param: str) -> StripeError:
    return invalid_request(f"Received unknown parameter: {param}", param=param, code="parameter_unknown")


def missing_parameter(param: str) -> StripeError:
    return invalid_request(f"Missing required param: {param}.", param=param, code="parameter_missing")


def authentication(message: str) -> StripeError:
    return StripeError(401, "invalid_request_error", message)
