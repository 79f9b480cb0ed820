/**
 * Stratus Node.js runtime bootstrap.
 *
 * Stratus starts one `node [flags] bootstrap.mjs` process per execution environment, with the
 * function's code directory (LAMBDA_TASK_ROOT) as working directory. This module stands in for
 * AWS's official Node.js runtime interface client (aws-lambda-ric, the client inside the
 * nodejs20.x / nodejs22.x managed runtimes), so that unmodified Lambda functions behave as they
 * do on AWS:
 *
 * - the Runtime API 2018-06-01 loop: GET /runtime/invocation/next, POST .../{id}/response and
 *   .../{id}/error, POST /runtime/init/error, over keep-alive HTTP/1.1 (node:http);
 * - `_HANDLER` resolution (CommonJS and ES modules) and the Runtime.* init errors;
 * - the invocation models: promise-returning handlers, callback(err, result) with
 *   callbackWaitsForEmptyEventLoop, the legacy context.succeed/fail/done, sync handlers;
 * - the context object;
 * - console patching (text or JSON records, AWS_LAMBDA_LOG_LEVEL, the framed telemetry sink);
 * - response streaming: the `awslambda` global (streamifyResponse, HttpResponseStream), chunked
 *   POSTs and errors reported as HTTP trailers;
 * - crash reporting: uncaught exceptions / unhandled rejections, exit codes 129 / 128.
 *
 * One self-contained ES module using Node.js built-ins only (Node 20 and 22). The behaviour is
 * described in shared/spec/lambda.md, sections 2, 3, 5, 6 and 12; comments name the AWS rule
 * where one is implemented. This file is our own code, written from those observations.
 */

import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import util from 'node:util';

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

const API_PREFIX = '/2018-06-01/runtime';

/** `next` response headers (Node lower-cases incoming header names). */
const INVOKE_HEADER = Object.freeze({
  requestId: 'lambda-runtime-aws-request-id',
  deadlineMs: 'lambda-runtime-deadline-ms',
  functionArn: 'lambda-runtime-invoked-function-arn',
  traceId: 'lambda-runtime-trace-id',
  clientContext: 'lambda-runtime-client-context',
  cognitoIdentity: 'lambda-runtime-cognito-identity',
  tenantId: 'lambda-runtime-aws-tenant-id',
});

const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
const ERROR_BODY_TRAILER = 'Lambda-Runtime-Function-Error-Body';
const RESPONSE_MODE_HEADER = 'Lambda-Runtime-Function-Response-Mode';

const DEFAULT_STREAM_CONTENT_TYPE = 'application/octet-stream';
const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER_LENGTH = 8; // 8 NUL bytes end the HTTP integration prelude

const STREAMING_TAG = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK_TAG = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';

// The RIC keeps the current ids on globalThis under these symbols; some libraries read them.
const REQUEST_ID_SYMBOL = Symbol.for('aws.lambda.runtime.requestId');
const TENANT_ID_SYMBOL = Symbol.for('aws.lambda.runtime.tenantId');

// RIC exit codes: uncaught exception 129, unhandled rejection 128. A broken Runtime API: 1.
const EXIT_UNCAUGHT_EXCEPTION = 129;
const EXIT_UNHANDLED_REJECTION = 128;
const EXIT_RUNTIME_API_FAILURE = 1;

const CALLBACK_HANDLER_WARNING =
  'AWS Lambda plans to remove support for callback-based function handlers starting with ' +
  'Node.js 24. You will need to update this function to use an async handler to use Node.js 24 ' +
  'or later. For more information and to provide feedback on this change, see ' +
  'https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137. To disable ' +
  'this warning, set the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable.';

const noop = () => {};

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * A `Runtime.<Name>` error class. AWS reports these with errorType `Runtime.<Name>` (the
 * prototype's `name`) while the class itself is called `<Name>` (seen in JSON log records).
 */
function runtimeErrorClass(shortName, fixedMessage) {
  const holder = {
    [shortName]: class extends Error {
      constructor(message) {
        super(fixedMessage ?? message);
      }
    },
  };
  const cls = holder[shortName];
  cls.prototype.name = `Runtime.${shortName}`;
  return cls;
}

const ImportModuleError = runtimeErrorClass('ImportModuleError');
const HandlerNotFound = runtimeErrorClass('HandlerNotFound');
const MalformedHandlerName = runtimeErrorClass('MalformedHandlerName');
const UserCodeSyntaxError = runtimeErrorClass('UserCodeSyntaxError');
const MalformedStreamingHandler = runtimeErrorClass('MalformedStreamingHandler');
const InvalidStreamingOperation = runtimeErrorClass('InvalidStreamingOperation');
const NodeJsExit = runtimeErrorClass(
  'NodeJsExit',
  'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly ' +
    'caused by a Promise that was never settled. For more information, see ' +
    'https://nodejs.org/docs/latest/api/process.html#exit-codes',
);

/** Wraps the reason of an unhandled rejection; message = String(reason), as the RIC does. */
class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason === undefined ? undefined : safeString(reason));
    this.reason = reason;
    this.promise = promise;
  }
}
UnhandledPromiseRejection.prototype.name = 'Runtime.UnhandledPromiseRejection';

function safeString(value) {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** An Error-shaped object that is not a native Error (RIC `_isError`): non-empty strings. */
function isErrorLike(value) {
  if (!value) return false;
  return ['name', 'message', 'stack'].every((key) => typeof value[key] === 'string' && value[key]);
}

/**
 * The JSON body posted to /error, /init/error and in the streaming error trailer (RIC
 * `Errors.toRapidResponse`): `{errorType: err.name, errorMessage: err.message, trace:
 * err.stack.split('\n')}`; any other thrown value gives `{errorType: typeof v, errorMessage:
 * v.toString(), trace: []}`. DEL (0x7F) is escaped as `%7F`.
 */
function toErrorResponse(error) {
  const escapeDel = (s) => (typeof s === 'string' ? s.replaceAll('\x7F', '%7F') : s);
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: escapeDel(error.name),
        errorMessage: escapeDel(error.message),
        trace: escapeDel(error.stack).split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or ' +
        'more of its message, name, and stack',
    };
  }
}

/** Errors are logged as Error objects; other thrown values become `new Error(value)`. */
function intoError(value) {
  if (value instanceof Error) return value;
  try {
    return new Error(value);
  } catch {
    return new Error(safeString(value));
  }
}

// ---------------------------------------------------------------------------------------------
// Logging (RIC LogPatch)
// ---------------------------------------------------------------------------------------------

const LOG_LEVELS = Object.freeze({
  TRACE: { name: 'TRACE', priority: 1, tlvMask: 0b00100 },
  DEBUG: { name: 'DEBUG', priority: 2, tlvMask: 0b01000 },
  INFO: { name: 'INFO', priority: 3, tlvMask: 0b01100 },
  WARN: { name: 'WARN', priority: 4, tlvMask: 0b10000 },
  ERROR: { name: 'ERROR', priority: 5, tlvMask: 0b10100 },
  FATAL: { name: 'FATAL', priority: 6, tlvMask: 0b11000 },
});

// Telemetry frame types: 0xA55A0003 text, 0xA55A0002 JSON, OR'ed with the level mask.
const FRAME_TYPE_TEXT = 0xa55a0003;
const FRAME_TYPE_JSON = 0xa55a0002;

function currentRequestId() {
  return globalThis[REQUEST_ID_SYMBOL];
}

function currentTenantId() {
  return globalThis[TENANT_ID_SYMBOL];
}

function setLoggingContext(requestId, tenantId) {
  globalThis[REQUEST_ID_SYMBOL] = requestId;
  globalThis[TENANT_ID_SYMBOL] = tenantId;
}

/** Text record: `<ISO time>\t<requestId>\t<LEVEL>\t<util.format(...)>`. */
function formatTextRecord(time, level, message, params) {
  return `${time}\t${currentRequestId()}\t${level.name}\t${util.format(message, ...params)}`;
}

/** JSON.stringify replacer for Error values inside JSON records. */
function jsonRecordErrorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

/**
 * JSON record (AWS_LAMBDA_LOG_FORMAT=JSON): `{timestamp, level, requestId, [tenantId], message}`.
 * A single argument is embedded as is (objects stay objects); several are util.format'ed and the
 * first Error among them adds errorType / errorMessage / stackTrace. requestId is absent (not
 * "undefined") during init.
 */
function formatJsonRecord(time, level, message, params) {
  const record = { timestamp: time, level: level.name, requestId: currentRequestId() };
  const tenantId = currentTenantId();
  if (tenantId !== undefined && tenantId !== null) record.tenantId = tenantId;

  if (params.length === 0) {
    record.message = message;
    try {
      return JSON.stringify(record, jsonRecordErrorReplacer);
    } catch {
      record.message = util.format(message);
      return JSON.stringify(record);
    }
  }

  const all = [message, ...params];
  record.message = util.format(...all);
  const error = all.find((p) => p instanceof Error);
  if (error) {
    record.errorType = error?.constructor?.name ?? 'UnknownError';
    record.errorMessage = error.message;
    record.stackTrace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
  }
  return JSON.stringify(record);
}

/** Writes records to stdout, one line each: every "\n" inside a record becomes "\r". */
function stdoutSink(format) {
  return (level, message, params) => {
    const line = format(new Date().toISOString(), level, message, params);
    process.stdout.write(line.replace(/\n/g, '\r') + '\n');
  };
}

/**
 * Writes framed records to the telemetry fd (`_LAMBDA_TELEMETRY_LOG_FD`): 4-byte type|level
 * mask, 4-byte length, 8-byte timestamp in microseconds, message; big-endian, newlines kept.
 */
function telemetryFdSink(fd, format, frameType, lineEnd) {
  const header = Buffer.alloc(16);
  return (level, message, params) => {
    const now = new Date();
    const body = Buffer.from(format(now.toISOString(), level, message, params) + lineEnd, 'utf8');
    header.writeUInt32BE((frameType | level.tlvMask) >>> 0, 0);
    header.writeInt32BE(body.length, 4);
    header.writeBigInt64BE(BigInt(now.valueOf()) * 1000n, 8);
    fs.writeSync(fd, header);
    fs.writeSync(fd, body);
  };
}

/** Picks the sink from AWS_LAMBDA_LOG_FORMAT and `_LAMBDA_TELEMETRY_LOG_FD` (then unset). */
function createLogSink(env, json) {
  const format = json ? formatJsonRecord : formatTextRecord;
  const fdText = env._LAMBDA_TELEMETRY_LOG_FD;
  if (fdText !== undefined && fdText !== null) {
    delete env._LAMBDA_TELEMETRY_LOG_FD;
    const fd = parseInt(fdText, 10);
    return json
      ? telemetryFdSink(fd, format, FRAME_TYPE_JSON, '')
      : telemetryFdSink(fd, format, FRAME_TYPE_TEXT, '\n');
  }
  return stdoutSink(format);
}

/**
 * Replaces the console methods (RIC LogPatch): log/info → INFO, warn → WARN, error → ERROR,
 * debug → DEBUG, trace → TRACE (a plain record, no stack), fatal → FATAL (never filtered).
 * Levels below AWS_LAMBDA_LOG_LEVEL (default TRACE: everything) become no-ops. Returns the
 * runtime's own logger.
 */
function patchConsole(env = process.env) {
  const json = env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const sink = createLogSink(env, json);
  const threshold = LOG_LEVELS[env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LOG_LEVELS.TRACE;

  const writerFor = (level) =>
    level.priority >= threshold.priority
      ? (message, ...params) => sink(level, message, params)
      : noop;

  console.trace = writerFor(LOG_LEVELS.TRACE);
  console.debug = writerFor(LOG_LEVELS.DEBUG);
  console.info = writerFor(LOG_LEVELS.INFO);
  console.log = console.info;
  console.warn = writerFor(LOG_LEVELS.WARN);
  console.error = writerFor(LOG_LEVELS.ERROR);
  console.fatal = (message, ...params) => sink(LOG_LEVELS.FATAL, message, params);

  const logError = writerFor(LOG_LEVELS.ERROR);
  return {
    /**
     * Logs a runtime-reported error, e.g. `Invoke Error`, `Uncaught Exception`. Text:
     * `<title> \t{"errorType","errorMessage",...,"stack":[lines]}`; JSON: the error as message.
     */
    error(title, value) {
      const error = intoError(value);
      if (json) logError(error);
      else logError(title, formatErrorForTextLog(error));
    },
    /** A runtime diagnostic that must not be filtered by the log level. */
    fatal(message, ...params) {
      sink(LOG_LEVELS.ERROR, message, params);
    },
  };
}

/**
 * The error part of a text error record (RIC `Errors.toFormatted`): a tab, then the error as
 * JSON with errorType, errorMessage, code, its own enumerable properties, and stack as lines.
 */
function formatErrorForTextLog(error) {
  const replacer = (_key, value) => {
    if (!(value instanceof Error)) return value;
    const shown = Object.assign(
      { errorType: value.name, errorMessage: value.message, code: value.code },
      value,
    );
    if (typeof value.stack === 'string') shown.stack = value.stack.split('\n');
    return shown;
  };
  try {
    return '\t' + JSON.stringify(error, replacer);
  } catch {
    return '\t' + JSON.stringify(toErrorResponse(error));
  }
}

// ---------------------------------------------------------------------------------------------
// Runtime API client
// ---------------------------------------------------------------------------------------------

class RuntimeApiError extends Error {}

/** `host:port` (AWS_LAMBDA_RUNTIME_API is a bare authority, no scheme) → {hostname, port}. */
function parseRuntimeApiAddress(value) {
  if (!value) throw new RuntimeApiError('AWS_LAMBDA_RUNTIME_API is not set');
  const url = new URL(`http://${value}`);
  return { hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 80) };
}

/** A header value Node will accept: control and non-ASCII characters are percent-escaped. */
function headerSafe(value) {
  return String(value).replace(
    /[^\t\x20-\x7e]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** JSON text of a result: `undefined` → `null`; failure → "Unable to stringify response body". */
function serializeResult(result) {
  let text;
  try {
    text = JSON.stringify(result === undefined ? null : result);
  } catch {
    throw new Error('Unable to stringify response body');
  }
  if (typeof text !== 'string') throw new Error('Unable to stringify response body');
  return text;
}

/** Talks HTTP/1.1 to the Runtime API over keep-alive connections. */
class RuntimeApiClient {
  #hostname;
  #port;
  #agent = new http.Agent({ keepAlive: true });
  #postQueue = Promise.resolve();

  constructor(address) {
    ({ hostname: this.#hostname, port: this.#port } = parseRuntimeApiAddress(address));
  }

  /**
   * Long-polls `GET /invocation/next` (no timeout: the environment may wait, or be frozen,
   * indefinitely). Resolves to {headers, body}; rejects with RuntimeApiError on a non-2xx.
   */
  async nextInvocation() {
    const res = await this.#send({ method: 'GET', path: `${API_PREFIX}/invocation/next` });
    if (res.statusCode >= 300) {
      throw new RuntimeApiError(`GET /invocation/next failed: ${describeResponse(res)}`);
    }
    return { headers: res.headers, body: res.body };
  }

  /** POSTs the serialized result (already JSON text) to `/invocation/{id}/response`. */
  postInvocationResponse(requestId, bodyText) {
    return this.#post(
      `${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/response`,
      bodyText,
    );
  }

  /**
   * POSTs `{errorType, errorMessage, trace}` to `/invocation/{id}/error`. Like the RIC's native
   * client, no Lambda-Runtime-Function-Error-Type header: the server reads the type from the body.
   */
  postInvocationError(requestId, error) {
    return this.#post(
      `${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/error`,
      JSON.stringify(toErrorResponse(error)),
    );
  }

  /** POSTs an init failure to `/init/error`, with the error type also as a header (RIC). */
  postInitError(error) {
    const body = toErrorResponse(error);
    const headers = body.errorType ? { [ERROR_TYPE_HEADER]: headerSafe(body.errorType) } : {};
    return this.#post(`${API_PREFIX}/init/error`, JSON.stringify(body), headers);
  }

  /**
   * Opens the chunked streaming POST to `/invocation/{id}/response` (spec §3). Headers go out
   * with the first write (or at the end). Returns the ClientRequest and a promise of the
   * server's answer, which never rejects unobserved.
   */
  openStreamingResponse(requestId) {
    const request = http.request({
      hostname: this.#hostname,
      port: this.#port,
      agent: this.#agent,
      method: 'POST',
      path: `${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/response`,
      headers: {
        [RESPONSE_MODE_HEADER]: 'streaming',
        'Transfer-Encoding': 'chunked',
        Trailer: `${ERROR_TYPE_HEADER}, ${ERROR_BODY_TRAILER}`,
        'Content-Type': DEFAULT_STREAM_CONTENT_TYPE,
      },
    });
    const response = new Promise((resolve, reject) => {
      request.on('response', (res) => collectResponse(res, resolve, reject));
      request.on('error', reject);
    });
    response.catch(noop);
    return { request, response };
  }

  /**
   * POSTs are serialized: a crash report must not overtake the result it follows. The promise
   * rejects with RuntimeApiError when the server does not accept the POST.
   */
  #post(apiPath, bodyText, extraHeaders = {}) {
    const send = async () => {
      const body = Buffer.from(bodyText, 'utf8');
      const res = await this.#send({
        method: 'POST',
        path: apiPath,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': body.length,
          ...extraHeaders,
        },
        body,
      });
      if (res.statusCode >= 300) {
        throw new RuntimeApiError(
          `POST ${apiPath.slice(API_PREFIX.length)} failed: ${describeResponse(res)}`,
        );
      }
      return res;
    };
    const result = this.#postQueue.then(send);
    this.#postQueue = result.catch(noop);
    return result;
  }

  /**
   * One request. A kept-alive socket the server closed while idle fails with ECONNRESET on
   * reuse; such a request never reached the server, so it is retried once on a new socket.
   */
  #send({ method, path: apiPath, headers = {}, body }, retried = false) {
    return new Promise((resolve, reject) => {
      const fail = (err) => reject(new RuntimeApiError(`${method} ${apiPath}: ${err.message}`));
      const request = http.request(
        {
          hostname: this.#hostname,
          port: this.#port,
          agent: this.#agent,
          method,
          path: apiPath,
          headers,
        },
        (res) => collectResponse(res, resolve, fail),
      );
      request.on('error', (err) => {
        if (!retried && request.reusedSocket && err.code === 'ECONNRESET') {
          resolve(this.#send({ method, path: apiPath, headers, body }, true));
        } else {
          fail(err);
        }
      });
      request.end(body);
    });
  }
}

function collectResponse(res, resolve, reject) {
  const chunks = [];
  res.on('data', (chunk) => chunks.push(chunk));
  res.on('error', reject);
  res.on('end', () =>
    resolve({
      statusCode: res.statusCode,
      headers: res.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    }),
  );
}

function describeResponse(res) {
  return `HTTP ${res.statusCode} ${res.body ?? ''}`.trim();
}

// ---------------------------------------------------------------------------------------------
// Event loop drain ('beforeExit')
// ---------------------------------------------------------------------------------------------

// The RIC keeps one 'beforeExit' action: it fires when the event loop has nothing left to do,
// which is how callbackWaitsForEmptyEventLoop and "sync handler returned nothing" complete.
let loopDrainedAction = noop;

function onLoopDrained(action) {
  loopDrainedAction = action ?? noop;
}

/** A promise that resolves the next time the event loop drains. */
function untilLoopDrains() {
  return new Promise((resolve) => onLoopDrained(resolve));
}

// ---------------------------------------------------------------------------------------------
// Invocation data and the context object
// ---------------------------------------------------------------------------------------------

/** The invocation's facts from the `next` response headers (empty values count as absent). */
function readInvocation({ headers, body }) {
  const header = (name) => (headers[name] === '' ? undefined : headers[name]);
  const requestId = header(INVOKE_HEADER.requestId);
  if (!requestId) throw new RuntimeApiError('invocation id is missing or invalid');
  return {
    requestId,
    body,
    deadlineMs: Number(header(INVOKE_HEADER.deadlineMs)),
    invokedFunctionArn: header(INVOKE_HEADER.functionArn),
    traceId: header(INVOKE_HEADER.traceId),
    clientContext: header(INVOKE_HEADER.clientContext),
    cognitoIdentity: header(INVOKE_HEADER.cognitoIdentity),
    tenantId: header(INVOKE_HEADER.tenantId),
  };
}

/** Client-Context / Cognito-Identity are JSON; a malformed value fails the invocation. */
function parseJsonHeader(text, name) {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

/**
 * Completes the context (RIC InvokeContext.attachEnvironmentData): copies the X-Ray header into
 * `_X_AMZN_TRACE_ID` (deleting it when absent), then adds the environment and header members.
 */
function attachInvocationData(context, invocation) {
  if (invocation.traceId) process.env._X_AMZN_TRACE_ID = invocation.traceId;
  else delete process.env._X_AMZN_TRACE_ID;

  const deadline = invocation.deadlineMs;
  return Object.assign(
    context,
    {
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, // a string, as on AWS
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    },
    {
      clientContext: parseJsonHeader(invocation.clientContext, 'ClientContext'),
      identity: parseJsonHeader(invocation.cognitoIdentity, 'CognitoIdentity'),
      invokedFunctionArn: invocation.invokedFunctionArn,
      awsRequestId: invocation.requestId,
      tenantId: invocation.tenantId,
      // Deadline minus now; may go negative (Node does not clamp).
      getRemainingTimeInMillis: () => deadline - Date.now(),
    },
  );
}

function isThenable(value) {
  return Boolean(value) && typeof value.then === 'function';
}

/**
 * The callback and the legacy part of the context for a buffered invocation (RIC
 * CallbackContext):
 * - callback(err) posts the error at once; callback(null, result) posts when the event loop
 *   drains, or at once when context.callbackWaitsForEmptyEventLoop is false;
 * - succeed(r) / done(null, r) post at once; fail() with no argument posts the string 'handled';
 * - only the first of callback/succeed/fail/done counts;
 * - a second completion logs "Invocation has already been reported as done...".
 * `finish` is the runtime's way to post (result or error) and then go on to the next event.
 */
function buildCallbackContext(finish) {
  let waitForEmptyEventLoop = true;
  let completed = false;
  let firstCallMade = false;

  const postError = (err) => finish.error(err);
  const complete = (result) => {
    if (completed) {
      console.error(
        'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
      );
      return;
    }
    completed = true;
    onLoopDrained(noop);
    finish.result(result);
  };

  const callback = (err, result) => {
    onLoopDrained(noop);
    if (err !== undefined && err !== null) postError(err);
    else if (!waitForEmptyEventLoop) complete(result);
    else onLoopDrained(() => setImmediate(() => complete(result)));
  };
  const done = (err, result) => {
    onLoopDrained(noop);
    if (err !== undefined && err !== null) postError(err);
    else complete(result);
  };
  const succeed = (result) => done(null, result);
  const fail = (err) => (err === undefined || err === null ? done('handled') : done(err, null));

  function firstCallOnly(fn) {
    return (...args) => {
      if (firstCallMade) return;
      firstCallMade = true;
      fn(...args);
    };
  }

  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: firstCallOnly(succeed),
    fail: firstCallOnly(fail),
    done: firstCallOnly(done),
  };
  return {
    callback: firstCallOnly(callback),
    context,
    markCompleted: () => {
      completed = true;
    },
  };
}

/** The streaming context: only the callbackWaitsForEmptyEventLoop flag plus invocation data. */
function buildStreamingContext() {
  let waitForEmptyEventLoop = true;
  return {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Response streaming (RIC ResponseStream / HttpResponseStream)
// ---------------------------------------------------------------------------------------------

const FAIL_STREAM = Symbol('failStream');

/** `Lambda-Runtime-Function-Error-Type` / `-Body` trailers: type, base64 of the JSON error. */
function errorTrailers(error) {
  const body = toErrorResponse(error);
  return {
    [ERROR_TYPE_HEADER]: headerSafe(body.errorType ?? 'Error'),
    [ERROR_BODY_TRAILER]: Buffer.from(JSON.stringify(body)).toString('base64'),
  };
}

/** Strings, Buffers and Uint8Arrays are written as bytes; anything else as its JSON (RIC). */
function isByteChunk(chunk) {
  return typeof chunk === 'string' || Buffer.isBuffer(chunk) || chunk?.constructor === Uint8Array;
}

/**
 * The `responseStream` handed to a streaming handler: a Writable whose every write becomes a
 * chunk of the chunked POST as soon as it is written (no buffering beyond Node's own
 * backpressure), plus setContentType(). HttpResponseStream.from() sets `_onBeforeFirstWrite`,
 * which writes the prelude just before the first chunk. An error ends the POST with the error
 * trailers instead of cutting the connection.
 */
class ResponseStream extends Writable {
  #request;
  #written = false;

  /** Set by HttpResponseStream.from; called with a raw write function before the first write. */
  _onBeforeFirstWrite = undefined;

  constructor(request, highWaterMark) {
    super(highWaterMark === undefined ? {} : { highWaterMark });
    this.#request = request;
    // Errors surface as trailers; an 'error' event must never crash the runtime.
    this.on('error', noop);
  }

  /** Content type of the POST; only before the first write (RIC: InvalidStreamingOperation). */
  setContentType(contentType) {
    if (this.#written) {
      throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    }
    this.#request.setHeader('Content-Type', contentType);
  }

  write(chunk, encoding, callback) {
    const bytes = isByteChunk(chunk) ? chunk : JSON.stringify(chunk);
    if (!this.#written) {
      this.#written = true;
      if (typeof this._onBeforeFirstWrite === 'function') {
        this._onBeforeFirstWrite((piece) => super.write(piece));
      }
    }
    return super.write(bytes, encoding, callback);
  }

  /** end(chunk) writes through write() so that a prelude still precedes the data. */
  end(chunk, encoding, callback) {
    if (typeof chunk === 'function') [chunk, encoding, callback] = [undefined, undefined, chunk];
    else if (typeof encoding === 'function') [encoding, callback] = [undefined, encoding];
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    return super.end(callback);
  }

  _write(chunk, encoding, callback) {
    this.#request.write(chunk, encoding, (err) => callback(err ?? undefined));
  }

  _final(callback) {
    this.#request.end(() => callback());
  }

  /** destroy(err) mid-stream: report err in the trailers and end the POST cleanly. */
  _destroy(err, callback) {
    if (!this.#request.writableEnded) {
      if (err) this.#request.addTrailers(errorTrailers(err));
      this.#request.end();
    }
    callback(err);
  }

  /**
   * Reports `error` as the invocation's error: trailers, then the end of the POST (pending
   * writes are still sent first). Once the POST has ended the error can no longer be reported,
   * as with the RIC.
   */
  [FAIL_STREAM](error) {
    const request = this.#request;
    if (request.writableEnded) return;
    request.addTrailers(errorTrailers(error));
    if (this.destroyed) request.end();
    else if (!this.writableEnded) this.end();
    // else: end() was called and _final will end the request, trailers included.
  }
}

/** `awslambda.HttpResponseStream`: JSON prelude + 8 NUL bytes before the body (spec §3). */
class HttpResponseStream {
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const metadata = JSON.stringify(prelude); // the prelude must not contain NUL
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(PRELUDE_DELIMITER_LENGTH)); // a chunk of its own
    };
    return underlyingStream;
  }
}

/** `awslambda.streamifyResponse(handler, {highWaterMark})`: tags the handler for streaming. */
function streamifyResponse(handler, options) {
  handler[STREAMING_TAG] = STREAM_RESPONSE;
  if (typeof options?.highWaterMark === 'number') {
    handler[HIGH_WATER_MARK_TAG] = parseInt(options.highWaterMark, 10);
  }
  return handler;
}

/** The `awslambda` global, unless AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA is 1 or true. */
function installAwsLambdaGlobal(env = process.env) {
  const disabled = ['1', 'true'].includes(env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA);
  if (disabled) return;
  globalThis.awslambda = { streamifyResponse, HttpResponseStream };
}

// ---------------------------------------------------------------------------------------------
// Handler resolution (RIC UserFunction.load)
// ---------------------------------------------------------------------------------------------

const requireFromRuntime = createRequire(import.meta.url);

/** 'dir/sub/index.handler' → ['dir/sub/', 'index.handler'] (RIC `_moduleRootAndHandler`). */
function splitModuleRoot(fullHandler) {
  const moduleAndHandler = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(moduleAndHandler));
  return [moduleRoot, moduleAndHandler];
}

/** 'index.a.b' → ['index', 'a.b']: split at the first dot; no dot → "Bad handler". */
function splitModuleAndHandler(moduleAndHandler) {
  const match = moduleAndHandler.match(/^([^.]*)\.(.*)$/);
  if (!match) throw new MalformedHandlerName('Bad handler');
  return [match[1], match[2]];
}

function resolveProperty(object, dottedPath) {
  return dottedPath.split('.').reduce((value, key) => value && value[key], object);
}

/** require() the file when it exists (extensionless, .js, .cjs). */
function requireIfExists(file) {
  return fs.existsSync(file) ? requireFromRuntime(file) : undefined;
}

/** import() the file when it exists (.js in a "type": "module" package, .mjs). */
async function importIfExists(file) {
  return fs.existsSync(file) ? import(pathToFileURL(file).href) : undefined;
}

/**
 * Whether the nearest package.json, walking up from `folder`, says "type": "module". The walk
 * stops at a node_modules folder or at "/"; an unreadable package.json counts as "no".
 */
function folderIsTypeModule(folder) {
  if (folder.endsWith('/node_modules')) return false;
  const packageJson = path.join(folder, 'package.json');
  if (fs.existsSync(packageJson)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(packageJson, 'utf8'));
      if (pkg) return pkg.type === 'module';
    } catch (err) {
      console.warn(
        `${packageJson} cannot be read, it will be ignored for ES module detection purposes.`,
        err,
      );
      return false;
    }
  }
  if (folder === '/') return false;
  return folderIsTypeModule(path.resolve(folder, '..'));
}

/**
 * Loads the user's module, trying in order (spec §6): the extensionless file (require); `.js`
 * via require unless the nearest package.json has "type": "module"; `.js` via import() when it
 * does; `.mjs` via import(); `.cjs` via require; finally Node resolution of the bare name with
 * paths [appRoot, moduleRoot].
 */
async function loadUserModule(appRoot, moduleRoot, moduleName) {
  const basePath = path.resolve(appRoot, moduleRoot, moduleName);

  const extensionless = requireIfExists(basePath);
  if (extensionless) return extensionless;

  const jsFile = `${basePath}.js`;
  const typeModule = fs.existsSync(jsFile) && folderIsTypeModule(path.dirname(jsFile));
  if (!typeModule) {
    const commonJs = requireIfExists(jsFile);
    if (commonJs) return commonJs;
  }

  const loaded =
    (typeModule && (await importIfExists(jsFile))) ||
    (await importIfExists(`${basePath}.mjs`)) ||
    requireIfExists(`${basePath}.cjs`);
  if (loaded) return loaded;

  const resolved = requireFromRuntime.resolve(moduleName, { paths: [appRoot, moduleRoot] });
  return requireFromRuntime(resolved);
}

/**
 * Resolves `_HANDLER` to the handler function. Errors (spec §6): `..` → MalformedHandlerName;
 * SyntaxError → UserCodeSyntaxError; MODULE_NOT_FOUND → ImportModuleError; a missing export →
 * HandlerNotFound "<handler> is undefined or not exported"; not a function → HandlerNotFound
 * "<handler> is not a function". The awslambda global is installed before user code loads.
 */
async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const [moduleRoot, moduleAndHandler] = splitModuleRoot(fullHandler);
  const [moduleName, handlerPath] = splitModuleAndHandler(moduleAndHandler);

  installAwsLambdaGlobal();

  let userModule;
  try {
    userModule = await loadUserModule(appRoot, moduleRoot, moduleName);
  } catch (err) {
    if (err instanceof SyntaxError) throw new UserCodeSyntaxError(err);
    if (err?.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(err);
    throw err;
  }

  const handler = resolveProperty(userModule, handlerPath);
  if (!handler) throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  if (typeof handler !== 'function') throw new HandlerNotFound(`${fullHandler} is not a function`);
  return handler;
}

/** How the handler is to be called: streaming tag, highWaterMark, async-ness, arity. */
function handlerMetadata(handler) {
  const tag = handler[STREAMING_TAG];
  let streaming = false;
  if (tag !== undefined && tag !== null && tag !== false) {
    if (tag !== STREAM_RESPONSE) {
      throw new MalformedStreamingHandler('Only response streaming is supported.');
    }
    streaming = STREAM_RESPONSE;
  }
  const mark = handler[HIGH_WATER_MARK_TAG];
  const highWaterMark =
    mark === undefined || mark === null || mark === false ? undefined : parseInt(mark, 10);
  return {
    streaming,
    highWaterMark: Number.isNaN(highWaterMark) ? undefined : highWaterMark,
    isAsync: handler?.constructor?.name === 'AsyncFunction',
    argsNum: handler.length,
  };
}

/** RIC: a 3-argument, non-async, non-streaming handler gets the Node.js 24 deprecation warning. */
function warnIfCallbackHandler(metadata, env = process.env) {
  if (
    env.AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING === undefined &&
    metadata.argsNum === 3 &&
    !metadata.isAsync &&
    !metadata.streaming
  ) {
    console.warn(CALLBACK_HANDLER_WARNING);
  }
}

// ---------------------------------------------------------------------------------------------
// The invoke loop
// ---------------------------------------------------------------------------------------------

class Runtime {
  #client;
  #log;
  #handler;
  #metadata;
  /** What a crash report needs: the phase, and the current invocation once there is one. */
  current = { phase: 'init', requestId: undefined, stream: undefined, response: undefined };

  constructor(client, log) {
    this.#client = client;
    this.#log = log;
  }

  start(handler, metadata) {
    this.#handler = handler;
    this.#metadata = metadata;
    this.scheduleIteration();
  }

  /** Runs the next iteration on a fresh turn of the event loop (after pending I/O callbacks). */
  scheduleIteration() {
    setImmediate(() => {
      const once =
        this.#metadata.streaming === STREAM_RESPONSE
          ? this.#handleOnceStreaming()
          : this.#handleOnceBuffered();
      once.catch((err) => this.#onLoopFailure(err));
    });
  }

  /** Waits for the next event; a failing `next` ends the process (exit 1, spec §12 row 1). */
  async #nextInvocation() {
    const invocation = readInvocation(await this.#client.nextInvocation());
    setLoggingContext(invocation.requestId, invocation.tenantId);
    this.current = {
      phase: 'invoke',
      requestId: invocation.requestId,
      stream: undefined,
      response: undefined,
    };
    return invocation;
  }

  /**
   * One buffered invocation (RIC Runtime.handleOnceNonStreaming): handler(event, context,
   * callback). A returned thenable is posted as soon as it settles; otherwise the callback, the
   * context methods or the drained event loop decide.
   */
  async #handleOnceBuffered() {
    const invocation = await this.#nextInvocation();
    const requestId = invocation.requestId;
    const { callback, context, markCompleted } = buildCallbackContext({
      result: (result) => this.#postResult(requestId, result),
      error: (err) => this.#postError(requestId, err),
    });
    onLoopDrained(() => this.#onDrainedWithoutResult(requestId, markCompleted));

    try {
      const result = this.#handler(
        JSON.parse(invocation.body),
        attachInvocationData(context, invocation),
        callback,
      );
      if (isThenable(result)) Promise.resolve(result).then(context.succeed, context.fail);
    } catch (err) {
      callback(err);
    }
  }

  /**
   * The event loop drained before the handler reported anything. RIC: an async handler whose
   * promise never settled fails with Runtime.NodeJsExit; any other handler succeeds with null.
   */
  #onDrainedWithoutResult(requestId, markCompleted) {
    markCompleted();
    onLoopDrained(noop);
    if (this.#metadata.isAsync) this.#postError(requestId, new NodeJsExit());
    else this.#postResult(requestId, null);
  }

  #postResult(requestId, result) {
    let body;
    try {
      body = serializeResult(result);
    } catch (err) {
      this.#postError(requestId, err);
      return;
    }
    this.#client.postInvocationResponse(requestId, body).then(
      () => this.scheduleIteration(),
      (err) => this.#onLoopFailure(err),
    );
  }

  /** Logs `Invoke Error`, then posts `{errorType, errorMessage, trace}` to /error (RIC). */
  #postError(requestId, error) {
    this.#log.error('Invoke Error', error);
    this.#client.postInvocationError(requestId, error).then(
      () => this.scheduleIteration(),
      (err) => this.#onLoopFailure(err),
    );
  }

  /**
   * One streaming invocation (RIC Runtime.handleOnceStreaming): handler(event, responseStream,
   * context). The handler must return a promise ("Streaming does not support non-async
   * handlers."), its value is ignored with a warning, and the stream must be ended ("Response
   * stream is not finished."). Errors, thrown before or after output, go out as trailers.
   */
  async #handleOnceStreaming() {
    const invocation = await this.#nextInvocation();
    const { request, response } = this.#client.openStreamingResponse(invocation.requestId);
    const stream = new ResponseStream(request, this.#metadata.highWaterMark);
    const context = buildStreamingContext();
    Object.assign(this.current, { stream, response });

    const fail = (err) => {
      this.#log.error('Invoke Error', err);
      stream[FAIL_STREAM](err);
    };

    try {
      const pending = this.#handler(
        JSON.parse(invocation.body),
        stream,
        attachInvocationData(context, invocation),
      );
      if (!isThenable(pending)) {
        fail('Streaming does not support non-async handlers.');
      } else {
        const result = await settledOrDrained(pending);
        if (result !== undefined) console.warn('Streaming handlers ignore return values.');
        if (!(await streamEnded(stream, request))) fail('Response stream is not finished.');
      }
    } catch (err) {
      fail(err);
    }

    await this.#settleStreamingResponse(response);
    this.#scheduleAfterStreaming(context);
  }

  /** The server's answer to the streaming POST; a non-2xx or broken connection is fatal. */
  async #settleStreamingResponse(response) {
    let res;
    try {
      res = await response;
    } catch (err) {
      throw new RuntimeApiError(`streaming POST /response failed: ${err.message}`);
    }
    if (res.statusCode >= 300) {
      throw new RuntimeApiError(`streaming POST /response failed: ${describeResponse(res)}`);
    }
  }

  /** After a stream, the next event is fetched once the loop drains, unless the flag is off. */
  #scheduleAfterStreaming(context) {
    onLoopDrained(noop);
    if (context.callbackWaitsForEmptyEventLoop) {
      onLoopDrained(() => {
        onLoopDrained(noop);
        setImmediate(() => this.scheduleIteration());
      });
    } else {
      this.scheduleIteration();
    }
  }

  /** A broken Runtime API ends the process with 1; anything else is a runtime crash (129). */
  #onLoopFailure(err) {
    if (err instanceof RuntimeApiError) {
      this.#log.fatal(`Runtime API failure: ${err.message}`);
      process.exit(EXIT_RUNTIME_API_FAILURE);
    }
    console.log(`Unexpected Top Level Error: ${safeString(err)}`);
    reportCrash(this, this.#client, err, EXIT_UNCAUGHT_EXCEPTION);
  }
}

/**
 * Awaits the streaming handler's promise. Should the event loop drain while it is still pending
 * (nothing could ever settle it), the invocation fails with Runtime.NodeJsExit.
 */
function settledOrDrained(pending) {
  const drained = untilLoopDrains().then(() => {
    throw new NodeJsExit();
  });
  return Promise.race([pending, drained]).finally(() => onLoopDrained(noop));
}

/**
 * Resolves true once the stream has been ended and flushed, false if it never will be. The
 * handler has settled, so the open POST is no longer allowed to keep the process busy: if the
 * event loop drains with the stream still open, nothing can end it any more (the RIC would
 * wait for the timeout instead).
 */
function streamEnded(stream, request) {
  if (stream.writableFinished) return Promise.resolve(true);
  if (stream.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let waiting = true;
    const setSocketRef = (socket, ref) => (ref ? socket.ref() : socket.unref());
    const finish = (ended) => {
      if (!waiting) return;
      waiting = false;
      onLoopDrained(noop);
      if (request.socket) setSocketRef(request.socket, true);
      resolve(ended);
    };
    stream.once('finish', () => finish(true));
    stream.once('close', () => finish(stream.writableFinished));
    onLoopDrained(() => finish(false));
    if (request.socket) setSocketRef(request.socket, false);
    else request.once('socket', (socket) => waiting && setSocketRef(socket, false));
  });
}

// ---------------------------------------------------------------------------------------------
// Crash reporting (uncaught exceptions, unhandled rejections, init failures)
// ---------------------------------------------------------------------------------------------

let crashing = false;

/**
 * RIC: during init the error goes to /init/error; during an invocation to that invocation's
 * /error (for a streaming invocation whose POST is still open: its error trailers). Then the
 * process exits with `exitCode` (129 uncaught exception, 128 unhandled rejection), whatever
 * the server answered.
 */
function reportCrash(runtime, client, error, exitCode) {
  if (crashing) return;
  crashing = true;
  const exit = () => process.exit(exitCode);
  const { phase, requestId, stream, response } = runtime.current;

  if (phase === 'init') {
    client.postInitError(error).then(exit, exit);
  } else if (stream && !stream.writableFinished && !stream.destroyed) {
    stream[FAIL_STREAM](error);
    response.then(exit, exit);
  } else {
    client.postInvocationError(requestId, error).then(exit, exit);
  }
}

/** Crash reporting plus the single 'beforeExit' hook (RIC index.mjs). */
function installProcessHandlers(runtime, client, log) {
  process.on('uncaughtException', (error) => {
    log.error('Uncaught Exception', error);
    reportCrash(runtime, client, error, EXIT_UNCAUGHT_EXCEPTION);
  });
  process.on('unhandledRejection', (reason, promise) => {
    const error = new UnhandledPromiseRejection(reason, promise);
    log.error('Unhandled Promise Rejection', error);
    reportCrash(runtime, client, error, EXIT_UNHANDLED_REJECTION);
  });
  process.on('beforeExit', () => loopDrainedAction());
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

async function main() {
  const log = patchConsole();

  let client;
  try {
    client = new RuntimeApiClient(process.env.AWS_LAMBDA_RUNTIME_API);
  } catch (err) {
    log.fatal(`Runtime API failure: ${err.message}`);
    process.exit(EXIT_RUNTIME_API_FAILURE);
  }

  const runtime = new Runtime(client, log);
  installProcessHandlers(runtime, client, log);

  // An init failure is reported as the RIC reports it: logged as an uncaught exception, posted
  // to /init/error, exit 129.
  let handler;
  let metadata;
  try {
    const handlerName = process.env._HANDLER;
    if (!handlerName) throw new Error('No handler specified');
    const appRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
    handler = await loadHandler(appRoot, handlerName);
    metadata = handlerMetadata(handler);
  } catch (err) {
    log.error('Uncaught Exception', err);
    reportCrash(runtime, client, err, EXIT_UNCAUGHT_EXCEPTION);
    return;
  }

  warnIfCallbackHandler(metadata);
  runtime.start(handler, metadata);
}

await main();
