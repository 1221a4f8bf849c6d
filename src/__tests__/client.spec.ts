/**
 * The client generated over openapi.yaml against a real Jupyter server: its requests go
 * through JupyterLab's ServerConnection, so a logged-in page's POST carries the XSRF
 * token of its cookie as JupyterLab's own calls do, and a refusal reaches the user in
 * the server's words.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { AirlockClient } from '../api';
import { AirlockRequestError } from '../request';

import { airlockServer } from './airlockServer';

airlockServer();

/**
 * The cookies of a browser that logged in with the server's token on its login page:
 * the login cookie and `_xsrf`, whose value the page also reads from `document.cookie`.
 */
async function logIn(): Promise<{ cookies: string; xsrf: string }> {
  const { baseUrl, token } = ServerConnection.makeSettings();
  const loginUrl = URLExt.join(baseUrl, 'login');
  const page = await fetch(loginUrl);
  const xsrf = /(?:^|;\s*)_xsrf=([^;]+)/.exec(
    page.headers.getSetCookie().join('; ')
  )?.[1];
  if (!xsrf) {
    throw new Error(`${loginUrl} set no _xsrf cookie`);
  }
  const loggedIn = await fetch(loginUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      Cookie: `_xsrf=${xsrf}`,
      'Content-Type': 'application/x-www-form-urlencoded'
    },
    body: new URLSearchParams({ password: token, _xsrf: xsrf }).toString()
  });
  const session = loggedIn.headers
    .getSetCookie()
    .map(cookie => cookie.split(';')[0])
    .filter(cookie => cookie.startsWith('username-'));
  if (session.length === 0) {
    throw new Error(`${loginUrl} answered ${loggedIn.status}, no login cookie`);
  }
  return { cookies: [...session, `_xsrf=${xsrf}`].join('; '), xsrf };
}

/**
 * The settings of a logged-in page: no token; the browser sends the cookies.
 */
function pageSettings(cookies: string): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    token: '',
    fetch: (input: RequestInfo, init?: RequestInit) => {
      const request = new Request(input, init);
      request.headers.set('Cookie', cookies);
      return fetch(request);
    }
  });
}

describe('the generated client', () => {
  let session: { cookies: string; xsrf: string };

  beforeAll(async () => {
    session = await logIn();
  });

  afterEach(() => {
    document.cookie = '_xsrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  });

  it("sends a logged-in page's POST with the XSRF token of its cookie", async () => {
    document.cookie = `_xsrf=${session.xsrf}`;
    const client = new AirlockClient(pageSettings(session.cookies));

    const connectivity = await client.checkProfile({
      profile: { name: 'nowhere', pip: { 'index-url': 'http://127.0.0.1:9/' } }
    });

    expect(connectivity.profile).toBe('nowhere');
    expect(connectivity.results).toEqual([
      expect.objectContaining({ url: 'http://127.0.0.1:9/', ok: false })
    ]);
  });

  it('is refused a POST without the XSRF token, and says why', async () => {
    const client = new AirlockClient(pageSettings(session.cookies));

    const refused = client.checkProfile({
      profile: { name: 'nowhere', pip: { 'index-url': 'http://127.0.0.1:9/' } }
    });

    await expect(refused).rejects.toBeInstanceOf(AirlockRequestError);
    await expect(refused).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('_xsrf')
    });
  });

  it("surfaces the server's own code and message for an error answer", async () => {
    const client = new AirlockClient(ServerConnection.makeSettings());
    const id = '0'.repeat(32);

    await expect(client.getJob(id)).rejects.toMatchObject({
      status: 404,
      code: 'unknown-job',
      message: `There is no job ${id}.`
    });
  });
});
