/**
 * A failed call to the Airlock server, with a message written for the user.
 *
 * `code` is the server's stable error code (or one made here for failures that never
 * reached the Airlock handlers); `status` is the HTTP status, 0 when there was none.
 */
export class AirlockRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'AirlockRequestError';
  }
}

/**
 * The error for a failed answer of the server: its own message when it sent one (the
 * Airlock handlers always do), else what the status means for the user.
 */
export function errorFromResponse(
  status: number,
  body: any
): AirlockRequestError {
  if (body && typeof body.message === 'string' && body.message) {
    const code = typeof body.code === 'string' ? body.code : `http-${status}`;
    return new AirlockRequestError(body.message, code, status);
  }
  if (status === 404) {
    return new AirlockRequestError(
      'The Airlock server extension is not running in this Jupyter server. ' +
        'Install it with `pip install jupyterlab_airlock`, enable it with ' +
        '`jupyter server extension enable jupyterlab_airlock`, then restart the server.',
      'not-loaded',
      status
    );
  }
  if (status === 401 || status === 403) {
    return new AirlockRequestError(
      'The Jupyter server refused the request: your session has expired. ' +
        'Reload the page and log in again.',
      `http-${status}`,
      status
    );
  }
  return new AirlockRequestError(
    `The Jupyter server answered with HTTP ${status}. Its log may say more.`,
    `http-${status}`,
    status
  );
}

/**
 * The message to show for any failure of a call: the server's own words when it sent some.
 */
export function messageOf(reason: unknown): string {
  return reason instanceof AirlockRequestError
    ? reason.message
    : `Airlock could not complete the request: ${String(reason)}`;
}
