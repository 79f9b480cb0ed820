"""Stratus Python runtime bootstrap.

Stratus starts one ``python3 -u bootstrap.py`` process per execution environment, with the
function's code directory (LAMBDA_TASK_ROOT) as working directory. This module stands in for
AWS's official Python runtime interface client (awslambdaric 4.x, the client inside the
python3.x managed runtimes), so that unmodified Lambda functions behave as they do on AWS:

* the Runtime API 2018-06-01 loop: GET /runtime/invocation/next, POST .../{id}/response and
  .../{id}/error, POST /runtime/init/error (one keep-alive HTTP/1.1 connection);
* ``_HANDLER`` resolution and the Runtime.* init errors with AWS's messages;
* event unmarshalling and result marshalling with the output of the simplejson settings AWS
  uses (Decimal written exactly, bytes as UTF-8 text, namedtuples as objects, NaN allowed,
  ``", "``/``": "`` separators, raw UTF-8 instead of ``\\uXXXX`` on python3.12+);
* the ``LambdaContext`` object handed to the handler;
* logging: the root logging handler in text or JSON format, AWS_LAMBDA_LOG_LEVEL, error reports
  as one line (``\\r`` between lines, U+00A0 for indentation), and the framed telemetry sink
  when ``_LAMBDA_TELEMETRY_LOG_FD`` is set.

Standard library only; runs on Python 3.9 and later. The behaviour reproduced here is
described in shared/spec/lambda.md, sections 2, 5, 7 and 12; comments name the AWS rule where
one is implemented. This file is our own code, written from those observations.
"""

import decimal
import http.client
import importlib
import inspect
import json
import logging
import math
import os
import sys
import time
import traceback

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

NEXT_PATH = "/2018-06-01/runtime/invocation/next"
RESPONSE_PATH = "/2018-06-01/runtime/invocation/{}/response"
ERROR_PATH = "/2018-06-01/runtime/invocation/{}/error"
INIT_ERROR_PATH = "/2018-06-01/runtime/init/error"

ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
XRAY_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause"
INVOCATION_ID_HEADER = "Lambda-Runtime-Invocation-Id"
# The RIC drops the X-Ray cause header at 1 MiB. Nothing in Stratus reads it, and a large
# header can exceed an HTTP server's header limit, so we drop it much earlier.
XRAY_CAUSE_MAX_BYTES = 64 * 1024
USER_AGENT = "aws-lambda-python/{}.{}.{}-stratus".format(*sys.version_info[:3])

JSON_CONTENT_TYPE = "application/json"
BYTES_CONTENT_TYPE = "application/unknown"

# Request-id printed in log lines and the JSON logs' tenantId, updated per invocation.
_current_request_id = None
_current_tenant_id = None

LAMBDA_WARNING_UNHANDLED = (
    "LAMBDA_WARNING: "
    "Unhandled exception. "
    "The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function "
    "change, or can be applied automatically. "
    "To determine if the runtime has been updated, check the runtime version in the "
    "INIT_START log entry. "
    "If this error correlates with a change in the runtime version, you may be able to "
    "mitigate this error by temporarily rolling back to the previous runtime version. "
    "For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class FaultException(Exception):
    """An error the runtime itself reports, with one of AWS's Runtime.* error types."""

    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.exception_type = exception_type
        self.msg = msg
        self.trace = trace


class RuntimeApiError(Exception):
    """The Runtime API refused a request or could not be reached; the runtime must exit."""

    def __init__(self, endpoint, reason, body=b""):
        super().__init__(
            "Request to Lambda Runtime '{}' endpoint failed. Reason: '{}'. "
            "Response body: '{}'".format(endpoint, reason, _printable(body))
        )


def _printable(body):
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return str(body)


# --------------------------------------------------------------------------------------------
# JSON marshalling
# --------------------------------------------------------------------------------------------


def _uses_raw_unicode(execution_env):
    """AWS rule: python3.12 and later encode results with ensure_ascii=False (raw UTF-8);
    python3.11 and older runtimes escape non-ASCII characters as \\uXXXX."""
    prefix = "AWS_Lambda_python"
    if not execution_env or not execution_env.startswith(prefix):
        return False
    try:
        major, minor = (int(p) for p in execution_env[len(prefix):].split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (3, 12)


def _call_method(obj, name):
    """simplejson's probe for ``_asdict``: call it when present and callable; a TypeError
    from the call means "not applicable". Returns a 1-tuple with the result, or None."""
    method = getattr(obj, name, None)
    if callable(method):
        try:
            return (method(),)
        except TypeError:
            pass
    return None


def _float_text(value):
    """simplejson float rule with allow_nan=True: NaN/Infinity/-Infinity literals, else repr."""
    if value != value:
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    return float.__repr__(float(value))


def _int_text(value):
    return int.__repr__(value if type(value) is int else int(value))


class JsonEncoder:
    """Encodes results and error bodies the way the RIC's simplejson encoder does.

    AWS rule (lambda_runtime_marshaller): simplejson with use_decimal=False, allow_nan=True,
    default separators and a default() that writes a Decimal as its exact str() (a NaN Decimal
    as NaN). simplejson's defaults also apply: bytes are written as UTF-8 text, any object
    with an ``_asdict()`` method (namedtuples) is written as an object, tuples as arrays, and
    dict keys may be str, bytes, int, float, bool or None.
    """

    def __init__(self, ensure_ascii):
        if ensure_ascii:
            self._string = json.encoder.encode_basestring_ascii
        else:
            self._string = json.encoder.encode_basestring
        # Fast path for values of exactly these types (subclasses take the general path).
        self._scalars = {
            str: self._string,
            int: int.__repr__,
            float: _float_text,
            bool: lambda value: "true" if value else "false",
            type(None): lambda value: "null",
        }

    def encode(self, obj):
        if isinstance(obj, str):
            return self._string(obj)
        chunks = []
        self._value(obj, chunks, {})
        return "".join(chunks)

    def _value(self, obj, out, markers):
        scalar = self._scalars.get(type(obj))
        if scalar is not None:
            out.append(scalar(obj))
        elif isinstance(obj, str):
            out.append(self._string(obj))
        elif isinstance(obj, bytes):
            out.append(self._string(obj.decode("utf-8")))
        elif isinstance(obj, int):  # subclasses such as IntEnum, written as plain ints
            out.append(_int_text(obj))
        elif isinstance(obj, float):
            out.append(_float_text(obj))
        else:
            self._compound(obj, out, markers)

    def _compound(self, obj, out, markers):
        as_dict = _call_method(obj, "_asdict")
        if as_dict is not None:
            if not isinstance(as_dict[0], dict):
                raise TypeError(
                    "_asdict() must return a dict, not %s" % type(as_dict[0]).__name__
                )
            self._marked(obj, markers, self._dict, as_dict[0], out)
        elif isinstance(obj, (list, tuple)):
            self._marked(obj, markers, self._list, obj, out)
        elif isinstance(obj, dict):
            self._marked(obj, markers, self._dict, obj, out)
        else:
            self._marked(obj, markers, self._default, obj, out)

    @staticmethod
    def _marked(obj, markers, write, value, out):
        """Circular-reference guard around one container (simplejson check_circular)."""
        marker = id(obj)
        if marker in markers:
            raise ValueError("Circular reference detected")
        markers[marker] = obj
        try:
            write(value, out, markers)
        finally:
            markers.pop(marker, None)

    def _list(self, items, out, markers):
        if not items:
            out.append("[]")
            return
        scalars, write_value = self._scalars, self._value
        separator = "["
        for item in items:
            out.append(separator)
            separator = ", "
            scalar = scalars.get(type(item))
            if scalar is not None:
                out.append(scalar(item))
            else:
                write_value(item, out, markers)
        out.append("]")

    def _dict(self, mapping, out, markers):
        if not mapping:
            out.append("{}")
            return
        scalars, write_value, string, key_text = self._scalars, self._value, self._string, self._key
        separator = "{"
        for key, item in mapping.items():
            out.append(separator)
            separator = ", "
            out.append(string(key if type(key) is str else key_text(key)))
            out.append(": ")
            scalar = scalars.get(type(item))
            if scalar is not None:
                out.append(scalar(item))
            else:
                write_value(item, out, markers)
        out.append("}")

    @staticmethod
    def _key(key):
        if isinstance(key, str):
            return key
        if isinstance(key, bytes):
            return key.decode("utf-8")
        if isinstance(key, float):
            return _float_text(key)
        if key is True:
            return "true"
        if key is False:
            return "false"
        if key is None:
            return "null"
        if isinstance(key, int):
            return _int_text(key)
        raise TypeError(
            "keys must be str, int, float, bool or None, not %s" % key.__class__.__name__
        )

    def _default(self, obj, out, markers):
        # AWS rule: Decimal is written as str(d) verbatim (so 1.10 stays 1.10); NaN as NaN.
        if isinstance(obj, decimal.Decimal):
            out.append("NaN" if obj.is_nan() else str(obj))
            return
        raise TypeError("Object of type %s is not JSON serializable" % obj.__class__.__name__)


class Marshaller:
    """Event in, result out (RIC LambdaMarshaller)."""

    def __init__(self, ensure_ascii):
        self.encoder = JsonEncoder(ensure_ascii)

    def to_json(self, obj):
        return self.encoder.encode(obj)

    @staticmethod
    def unmarshal_event(body, content_type):
        """AWS rule: only a Content-Type of exactly "application/json" is parsed; any other
        (or none) hands the handler the raw bytes."""
        if content_type != JSON_CONTENT_TYPE:
            return body
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else body
            if text.startswith("\ufeff"):  # simplejson skips a leading byte-order mark
                text = text[1:]
            return json.loads(text)
        except Exception as e:
            raise FaultException(
                FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: {}".format(e)
            )

    def marshal_result(self, result):
        """AWS rule: bytes go out untouched as application/unknown; anything else as JSON."""
        if isinstance(result, bytes):
            return result, BYTES_CONTENT_TYPE
        try:
            return self.to_json(result).encode("utf-8"), JSON_CONTENT_TYPE
        except Exception as e:
            raise FaultException(
                FaultException.MARSHAL_ERROR, "Unable to marshal response: {}".format(e)
            )


# --------------------------------------------------------------------------------------------
# Runtime API client
# --------------------------------------------------------------------------------------------


def _pinned_subclass(base):
    """A subclass holding the base class's current methods.

    Tracing libraries (aws-xray-sdk, ddtrace, ...) patch http.client when the function imports
    them. AWS's client talks to the Runtime API from native code, which those patches never
    see; pinning the methods at startup keeps our Runtime API traffic out of them too."""
    methods = {k: v for k, v in vars(base).items() if inspect.isfunction(v)}
    return type("Pinned" + base.__name__, (base,), methods)


_PinnedResponse = _pinned_subclass(http.client.HTTPResponse)


class _RuntimeApiConnection(_pinned_subclass(http.client.HTTPConnection)):
    response_class = _PinnedResponse


class InvocationRequest:
    """One event as delivered by GET /next, with its Lambda-Runtime-* headers."""

    __slots__ = (
        "request_id",
        "deadline_ms",
        "invoked_function_arn",
        "trace_id",
        "client_context",
        "cognito_identity",
        "tenant_id",
        "invocation_id",
        "content_type",
        "body",
    )

    def __init__(self, **fields):
        for name in self.__slots__:
            setattr(self, name, fields.get(name))


def _invocation_headers(invocation):
    """awslambdaric 4.2.2 echoes a Lambda-Runtime-Invocation-Id from /next on its POSTs."""
    if invocation.invocation_id:
        return {INVOCATION_ID_HEADER: _header_value(invocation.invocation_id)}
    return {}


def _header_value(text):
    """Header values must be printable ASCII for http.client and most servers."""
    return "".join(c if " " <= c <= "~" else "?" for c in str(text))


class RuntimeApiClient:
    """HTTP client for the Runtime API 2018-06-01 at ``AWS_LAMBDA_RUNTIME_API`` (host:port).

    One keep-alive connection is reused for every call. A connection the server has closed is
    replaced and the request sent once more; any other failure, and every non-2xx answer, is a
    RuntimeApiError (the RIC exits on those: spec section 12, rows 1 and 5)."""

    def __init__(self, address):
        self._address = address
        self._conn = None
        self._conn_used = False

    def next_invocation(self):
        """Long-poll for the next event (no timeout: the process may be frozen in between)."""
        response, body = self._call("GET", NEXT_PATH, "next")
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        if not request_id:
            raise RuntimeApiError("next", "missing Lambda-Runtime-Aws-Request-Id header", body)
        return InvocationRequest(
            request_id=request_id,
            deadline_ms=_parse_deadline(response.getheader("Lambda-Runtime-Deadline-Ms")),
            invoked_function_arn=response.getheader("Lambda-Runtime-Invoked-Function-Arn", ""),
            # The RIC treats empty optional headers as absent.
            trace_id=response.getheader("Lambda-Runtime-Trace-Id") or None,
            client_context=response.getheader("Lambda-Runtime-Client-Context") or None,
            cognito_identity=response.getheader("Lambda-Runtime-Cognito-Identity") or None,
            tenant_id=response.getheader("Lambda-Runtime-Aws-Tenant-Id") or None,
            invocation_id=response.getheader(INVOCATION_ID_HEADER) or None,
            content_type=response.getheader("Content-Type") or None,
            body=body,
        )

    def post_response(self, invocation, body, content_type):
        headers = _invocation_headers(invocation)
        headers["Content-Type"] = content_type
        path = RESPONSE_PATH.format(invocation.request_id)
        self._call("POST", path, "response", body, headers)

    def post_error(self, invocation, body, error_type, xray_cause):
        headers = _invocation_headers(invocation)
        headers["Content-Type"] = JSON_CONTENT_TYPE
        headers[ERROR_TYPE_HEADER] = _header_value(error_type)
        if xray_cause and len(xray_cause) < XRAY_CAUSE_MAX_BYTES:
            headers[XRAY_CAUSE_HEADER] = _header_value(xray_cause)
        self._call("POST", ERROR_PATH.format(invocation.request_id), "error", body, headers)

    def post_init_error(self, body, error_type):
        headers = {"Content-Type": JSON_CONTENT_TYPE, ERROR_TYPE_HEADER: _header_value(error_type)}
        self._call("POST", INIT_ERROR_PATH, "init/error", body, headers)

    def _call(self, method, path, endpoint, body=None, headers=None):
        """Send one request; returns (response, body bytes) for a 2xx answer."""
        all_headers = {"User-Agent": USER_AGENT}
        all_headers.update(headers or {})
        try:
            response, data = self._exchange(method, path, body, all_headers)
        except (OSError, http.client.HTTPException) as e:
            raise RuntimeApiError(endpoint, "{}: {}".format(type(e).__name__, e))
        if not 200 <= response.status < 300:
            raise RuntimeApiError(endpoint, response.status, data)
        return response, data

    def _exchange(self, method, path, body, headers):
        # A stale keep-alive connection (closed by the server between requests) fails on
        # reuse: reconnect and retry once. GET /next is safe to repeat on a fresh one too.
        retry = self._conn_used or method == "GET"
        try:
            return self._send(method, path, body, headers)
        except (OSError, http.client.HTTPException):
            self._close()
            if not retry:
                raise
        return self._send(method, path, body, headers)

    def _send(self, method, path, body, headers):
        if self._conn is None:
            # timeout=None: blocking socket, whatever socket.setdefaulttimeout() user code set.
            self._conn = _RuntimeApiConnection(self._address, timeout=None)
            self._conn_used = False
        self._conn.request(method, path, body=body, headers=headers)
        response = self._conn.getresponse()
        data = response.read()
        self._conn_used = True
        if response.will_close:
            self._close()
        return response, data

    def _close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
        self._conn = None
        self._conn_used = False


def _parse_deadline(value):
    """Lambda-Runtime-Deadline-Ms is epoch milliseconds; absent or invalid counts as 0 (as in
    aws-lambda-cpp), leaving no remaining time."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# --------------------------------------------------------------------------------------------
# Context object
# --------------------------------------------------------------------------------------------


class _SlotsObject:
    """Plain record whose fields are filled from a dict (absent keys become None)."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, values):
        if values is None:
            return None
        obj = cls()
        for name in cls.__slots__:
            setattr(obj, name, values.get(name, None))
        return obj

    def __repr__(self):
        fields = ",".join("{}={}".format(n, getattr(self, n)) for n in self.__slots__)
        return "{}([{}])".format(type(self).__name__, fields)


class CognitoIdentity(_SlotsObject):
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")


class Client(_SlotsObject):
    __slots__ = (
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    )


class ClientContext(_SlotsObject):
    __slots__ = ("custom", "env", "client")


W3C_FIELDS = ("traceparent", "tracestate", "baggage")


def _take_w3c_fields(client_context):
    """awslambdaric 4.2.2: the client context's "w3c" entry is removed from it and its string
    traceparent/tracestate/baggage fields are offered through context.w3c()."""
    if not isinstance(client_context, dict) or "w3c" not in client_context:
        return {}
    raw = client_context.pop("w3c")
    if not isinstance(raw, dict):
        return {}
    return {k: raw[k] for k in W3C_FIELDS if isinstance(raw.get(k), str)}


class LambdaContext:
    """The handler's ``context`` argument (RIC lambda_context.LambdaContext)."""

    def __init__(
        self,
        invoke_id,
        client_context,
        cognito_identity,
        epoch_deadline_time_in_ms,
        invoked_function_arn=None,
        tenant_id=None,
    ):
        self.aws_request_id = invoke_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # AWS rule: memory_limit_in_mb is the environment variable's string, not an int.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self._w3c_fields = _take_w3c_fields(client_context)
        self.client_context = ClientContext.from_dict(client_context)
        if self.client_context is not None:
            self.client_context.client = Client.from_dict(self.client_context.client)
        # AWS rule: identity is always an object; its fields are None without Cognito.
        self.identity = CognitoIdentity.from_dict({})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._epoch_deadline_time_in_ms = epoch_deadline_time_in_ms

    def get_remaining_time_in_millis(self):
        """Milliseconds until the deadline; AWS's Python runtime clamps this at 0."""
        remaining = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def w3c(self):
        """W3C trace context (traceparent, tracestate, baggage) sent in the client context."""
        return dict(self._w3c_fields)

    def log(self, msg):
        """Write msg to the function's log through the runtime's log sink, unformatted."""
        for handler in logging.getLogger().handlers:
            if hasattr(handler, "log_sink"):
                handler.log_sink.log(str(msg))
                return
        sys.stdout.write(str(msg))

    def __repr__(self):
        names = (
            "aws_request_id",
            "log_group_name",
            "log_stream_name",
            "function_name",
            "memory_limit_in_mb",
            "function_version",
            "invoked_function_arn",
            "client_context",
            "identity",
            "tenant_id",
        )
        fields = ",".join("{}={}".format(n, getattr(self, n)) for n in names)
        return "{}([{}])".format(type(self).__name__, fields)


def _parse_json_header(value, name):
    try:
        return json.loads(value)
    except Exception as e:
        raise FaultException(
            FaultException.LAMBDA_CONTEXT_UNMARSHAL_ERROR,
            "Unable to parse {} JSON: {}".format(name, e),
        )


def create_context(invocation):
    """Build the LambdaContext; a malformed client-context or Cognito header fails the invoke."""
    client_context = None
    if invocation.client_context:
        client_context = _parse_json_header(invocation.client_context, "Client Context")
    cognito_identity = None
    if invocation.cognito_identity:
        cognito_identity = _parse_json_header(invocation.cognito_identity, "Cognito Identity")
    return LambdaContext(
        invocation.request_id,
        client_context,
        cognito_identity,
        invocation.deadline_ms,
        invocation.invoked_function_arn,
        invocation.tenant_id,
    )


# --------------------------------------------------------------------------------------------
# Handler resolution
# --------------------------------------------------------------------------------------------


def load_handler(handler):
    """Resolve ``_HANDLER`` ("module.function", module may be "pkg/sub/mod") to a callable.

    AWS rules: split at the last dot; the first module component must not be a built-in
    module; "/" in the module path becomes "."; each failure has its own Runtime.* type."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(
            FaultException.MALFORMED_HANDLER_NAME, "Bad handler '{}': {}".format(handler, e)
        )
    module = _import_handler_module(modname)
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND,
            "Handler '{}' missing on module '{}'".format(fname, modname),
        )


def _import_handler_module(modname):
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module {} as a handler module".format(modname),
            )
        return importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR,
            "Unable to import module '{}': {}".format(modname, e),
        )
    except SyntaxError as e:
        # AWS rule: the stack trace of a syntax error is this single hand-made entry.
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR,
            "Syntax error in module '{}': {}".format(modname, e),
            trace,
        )


def _put_task_root_first():
    """The function's code directory comes first on sys.path, as on AWS (/var/task)."""
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    if task_root in sys.path:
        sys.path.remove(task_root)
    sys.path.insert(0, task_root)


# --------------------------------------------------------------------------------------------
# Error bodies
# --------------------------------------------------------------------------------------------


def make_error(message, error_type, stack_trace, request_id=None):
    """The body posted to /error and /init/error (requestId is "" for init errors)."""
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _is_runtime_frame(filename):
    # AWS rule: leading frames from the runtime's "bootstrap.py" are left out of stack traces.
    return "/bootstrap.py" in filename or filename == __file__


def _user_frames(tb):
    """Frames of a traceback as (file, line, function, source) tuples, leading runtime frames
    dropped. If every frame is the runtime's own, all are kept (as in the RIC). Tuples, not
    FrameSummary objects, so format_list prints no 3.11+ column markers (neither does AWS)."""
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for index, frame in enumerate(frames):
        if not _is_runtime_frame(frame[0]):
            return frames[index:]
    return frames


def make_xray_fault(error_type, message, frames):
    """The Lambda-Runtime-Function-XRay-Error-Cause document."""
    stack = [{"label": name, "path": path, "line": line} for path, line, name, _ in frames]
    return {
        "working_directory": os.getcwd(),
        "exceptions": [{"message": message, "type": error_type, "stack": stack}],
        "paths": list({path for path, _, _, _ in frames}),
    }


def error_from_exception(exc_info, request_id=None):
    """(error body, X-Ray cause) for an exception raised by user code."""
    error_type, value, tb = exc_info
    frames = _user_frames(tb)
    message = str(value)
    error = make_error(message, error_type.__name__, traceback.format_list(frames), request_id)
    return error, make_xray_fault(error_type.__name__, message, frames)


# --------------------------------------------------------------------------------------------
# Logging
# --------------------------------------------------------------------------------------------

TEXT_FORMAT, JSON_FORMAT = "TEXT", "JSON"
_JSON_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# Telemetry frame types (RIC lambda_runtime_log_utils): base type plus a level code.
_LEVEL_CODES = {
    logging.NOTSET: 0,
    logging.DEBUG: 2,
    logging.INFO: 3,
    logging.WARNING: 4,
    logging.ERROR: 5,
    logging.CRITICAL: 6,
}
_TEXT_FRAME_BASE, _JSON_FRAME_BASE = 0xA55A0003, 0xA55A0002


def _frame_type(json_format, level):
    base = _JSON_FRAME_BASE if json_format else _TEXT_FRAME_BASE
    return (base + (_LEVEL_CODES.get(level, 0) << 2)).to_bytes(4, "big")


def _normalised_level(record):
    """Record level rounded down to a standard level (0..50)."""
    return min(50, max(0, record.levelno)) // 10 * 10


def log_format_from_env(value):
    """AWS_LAMBDA_LOG_FORMAT: "JSON" (any case) selects JSON, anything else text."""
    return JSON_FORMAT if value and value.upper() == "JSON" else TEXT_FORMAT


def log_level_from_env(value):
    """AWS_LAMBDA_LOG_LEVEL: TRACE maps to DEBUG (Python has no TRACE); unset gives ""."""
    level = (value or "").upper()
    return "DEBUG" if level == "TRACE" else level


class StdoutLogSink:
    """Log records and error reports written to stdout, where Stratus reads them line by
    line. On AWS each record is a separate frame; ending every record with a newline keeps
    records (e.g. a logged traceback, context.log output) from merging with what follows."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def log(self, msg, frame_type=None):
        sys.stdout.write(msg if msg.endswith("\n") else msg + "\n")

    def log_error(self, lines):
        # AWS rule: an error report is one line, its lines joined with "\r".
        report = "\r".join(lines) + "\n"
        # A lone surrogate in an exception message must not crash the runtime here.
        sys.stdout.write(report.encode("utf-8", "replace").decode("utf-8"))


class FramedTelemetryLogSink:
    """AWS's framed log protocol, used when _LAMBDA_TELEMETRY_LOG_FD is set: each record is
    frame type (4 bytes), length (4), timestamp in microseconds (8), message; big-endian."""

    def __init__(self, fd, error_frame_type):
        self._fd = int(fd)
        self._error_frame_type = error_frame_type
        self._file = None

    def __enter__(self):
        self._file = os.fdopen(self._fd, "wb", 0)
        return self

    def __exit__(self, *exc):
        self._file.close()
        return False

    def log(self, msg, frame_type=None):
        data = msg.encode("utf-8")
        micros = time.time_ns() // 1000
        header = (frame_type or _frame_type(False, logging.NOTSET)) + len(data).to_bytes(4, "big")
        self._file.write(header + micros.to_bytes(8, "big") + data)

    def log_error(self, lines):
        self.log("\n".join(lines), self._error_frame_type)


def create_log_sink(log_format):
    fd = os.environ.pop("_LAMBDA_TELEMETRY_LOG_FD", None)
    if fd is None:
        return StdoutLogSink()
    return FramedTelemetryLogSink(fd, _frame_type(log_format == JSON_FORMAT, logging.ERROR))


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id ("" before the first invoke)."""

    def filter(self, record):
        record.aws_request_id = _current_request_id or ""
        record.tenant_id = _current_tenant_id
        return True


class SinkHandler(logging.Handler):
    """Root logging handler writing formatted records to the log sink."""

    def __init__(self, log_sink, level_frames):
        super().__init__()
        self.log_sink = log_sink
        self._level_frames = level_frames

    def emit(self, record):
        msg = self.format(record)
        frame_type = None
        if self._level_frames:
            frame_type = getattr(record, "_frame_type", None) or _frame_type(
                False, _normalised_level(record)
            )
        self.log_sink.log(msg, frame_type=frame_type)


# Record attributes that never appear as extra keys in JSON log lines.
_RESERVED_RECORD_FIELDS = frozenset(
    (
        "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module",
        "exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs",
        "relativeCreated", "thread", "threadName", "processName", "process",
        "aws_request_id", "tenant_id", "_frame_type",
    )
)
# default=str (awslambdaric 4.2.2): an unserialisable extra value is written as its str()
# instead of losing the whole record.
_log_json_encoder = json.JSONEncoder(ensure_ascii=False, default=str)


def _json_log_message(record):
    """A dict logged without arguments stays a JSON object (awslambdaric 4.2.2)."""
    if isinstance(record.msg, dict) and not record.args:
        return record.msg
    return record.getMessage()


class JsonLogFormatter(logging.Formatter):
    """AWS_LAMBDA_LOG_FORMAT=JSON: one JSON object per record, None-valued keys left out."""

    def __init__(self):
        super().__init__(datefmt=_JSON_TIME_FORMAT)

    def format(self, record):
        record.levelno = _normalised_level(record)
        record.levelname = logging.getLevelName(record.levelno)
        record._frame_type = _frame_type(True, record.levelno)
        exc_info = record.exc_info
        result = {
            "timestamp": self.formatTime(record, self.datefmt),
            "level": record.levelname,
            "message": _json_log_message(record),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc_info[2]) if exc_info else None,
            "errorType": exc_info[0].__name__ if exc_info else None,
            "errorMessage": str(exc_info[1]) if exc_info else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": (
                "{}:{}:{}".format(record.pathname, record.funcName, record.lineno)
                if exc_info
                else None
            ),
        }
        if getattr(record, "tenant_id", None) is not None:
            result["tenantId"] = record.tenant_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED_RECORD_FIELDS and key not in result:
                result[key] = value
        result = {k: v for k, v in result.items() if v is not None}
        return _log_json_encoder.encode(result) + "\n"


def _text_formatter():
    # AWS rule: "[LEVEL]\t<UTC time with ms>Z\t<request id>\t<message>\n".
    return logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
        "%Y-%m-%dT%H:%M:%S",
    )


def setup_logging(log_format, log_level, log_sink):
    """Install the root handler. AWS rules: timestamps in UTC (for every formatter, as AWS
    sets logging.Formatter.converter); the root level stays Python's WARNING unless
    AWS_LAMBDA_LOG_LEVEL names a level."""
    logging.Formatter.converter = time.gmtime
    handler = SinkHandler(log_sink, level_frames=log_format == JSON_FORMAT or bool(log_level))
    handler.setFormatter(JsonLogFormatter() if log_format == JSON_FORMAT else _text_formatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    if isinstance(logging.getLevelName(log_level), int):
        root.setLevel(log_level)
    root.addHandler(handler)


def _replace_indentation(line, old, new):
    stripped = line.lstrip(old)
    return new * (len(line) - len(stripped)) + stripped


def error_report_lines(error):
    """AWS rule (text format): "[ERROR] <type>: <message>", "Traceback (most recent call
    last):", then each stack line with its leading spaces turned into U+00A0."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description]
    stack_trace = error.get("stackTrace")
    if stack_trace is not None:
        lines.append("Traceback (most recent call last):")
        for entry in stack_trace:
            if entry == "":
                lines.append("")
            for line in entry.splitlines():
                lines.append(_replace_indentation(line, " ", "\u00a0"))
    return lines


def log_error_report(error, log_format, log_sink, marshaller):
    """Print a function or init error to the log the way AWS does."""
    if log_format == JSON_FORMAT:
        timestamp = time.strftime(_JSON_TIME_FORMAT, time.gmtime())
        # awslambdaric 4.2.2 writes "level" here (older releases wrote "log_level").
        record = {"timestamp": timestamp, "level": "ERROR"}
        record.update(error)
        log_sink.log_error([marshaller.to_json(record)])
    else:
        log_sink.log_error(error_report_lines(error))


class _FlushingStream:
    """Wraps stdout/stderr so every write reaches the pipe at once (as the RIC's Unbuffered)."""

    def __init__(self, stream):
        self.stream = stream

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def write(self, msg):
        written = self.stream.write(msg)
        self.stream.flush()
        return written

    def writelines(self, lines):
        self.stream.writelines(lines)
        self.stream.flush()


def _install_flushing_streams():
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        # Lambda runs with LANG=en_US.UTF-8: print() of non-ASCII text must not fail here.
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
        setattr(sys, name, _FlushingStream(stream))


# --------------------------------------------------------------------------------------------
# Invocation loop
# --------------------------------------------------------------------------------------------


def _update_trace_id(trace_id):
    """AWS rule: _X_AMZN_TRACE_ID holds this invocation's trace header, or is absent."""
    if trace_id is not None:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)


class Runtime:
    """Ties the client, marshaller and log sink together for init and each invocation."""

    def __init__(self, client, marshaller, log_sink, log_format):
        self.client = client
        self.marshaller = marshaller
        self.log_sink = log_sink
        self.log_format = log_format

    def init(self, handler_name):
        """Load the handler. AWS rule: on failure print the LAMBDA_WARNING line and the error,
        POST /runtime/init/error, and exit 1 without ever calling /next."""
        try:
            return load_handler(handler_name)
        except FaultException as e:
            error = make_error(e.msg, e.exception_type, e.trace)
        except Exception:
            error, _ = error_from_exception(sys.exc_info())
        logging.warning(LAMBDA_WARNING_UNHANDLED)
        log_error_report(error, self.log_format, self.log_sink, self.marshaller)
        self.client.post_init_error(self._error_body(error), error["errorType"])
        sys.exit(1)

    def serve_forever(self, handler):
        global _current_request_id, _current_tenant_id
        while True:
            invocation = self.client.next_invocation()
            _current_request_id = invocation.request_id
            _current_tenant_id = invocation.tenant_id
            _update_trace_id(invocation.trace_id)
            self.handle(handler, invocation)

    def handle(self, handler, invocation):
        """Run one invocation and post its result or error."""
        error = xray_fault = None
        try:
            context = create_context(invocation)
            event = self.marshaller.unmarshal_event(invocation.body, invocation.content_type)
            result = handler(event, context)
            body, content_type = self.marshaller.marshal_result(result)
        except FaultException as e:
            error = make_error(e.msg, e.exception_type, e.trace, invocation.request_id)
            xray_fault = make_xray_fault("LambdaValidationError", e.msg, [])
        except Exception:
            error, xray_fault = error_from_exception(sys.exc_info(), invocation.request_id)
        if error is None:
            self.client.post_response(invocation, body, content_type)
            return
        log_error_report(error, self.log_format, self.log_sink, self.marshaller)
        xray_cause = JsonEncoder(ensure_ascii=True).encode(xray_fault)
        self.client.post_error(
            invocation, self._error_body(error), error["errorType"], xray_cause
        )

    def _error_body(self, error):
        # "replace": a lone surrogate in a message must not stop the error being reported.
        return self.marshaller.to_json(error).encode("utf-8", "replace")


def _handler_name():
    # The managed runtimes pass the handler as argv[1]; Stratus sets _HANDLER.
    return sys.argv[1] if len(sys.argv) > 1 else os.environ.get("_HANDLER", "")


def main():
    _install_flushing_streams()
    _put_task_root_first()
    log_format = log_format_from_env(os.environ.get("AWS_LAMBDA_LOG_FORMAT"))
    log_level = log_level_from_env(os.environ.get("AWS_LAMBDA_LOG_LEVEL"))
    marshaller = Marshaller(ensure_ascii=not _uses_raw_unicode(os.environ.get("AWS_EXECUTION_ENV")))
    client = RuntimeApiClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    with create_log_sink(log_format) as log_sink:
        setup_logging(log_format, log_level, log_sink)
        runtime = Runtime(client, marshaller, log_sink, log_format)
        try:
            handler = runtime.init(_handler_name())
            runtime.serve_forever(handler)
        except RuntimeApiError as e:
            # AWS rule: a failed Runtime API call ends the runtime (exit 1, no retry).
            sys.stderr.write("[ERROR] Runtime.LambdaRuntimeClientError: {}\n".format(e))
            sys.exit(1)


if __name__ == "__main__":
    main()
