/**
 * The most common installation fault: the labextension is there but the server part is
 * not loaded. The user must be told what to do, not shown a bare 404.
 */
import { Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';

import { AirlockClient } from '../api';
import { handshake } from '../handshake';
import { AirlockModel } from '../model';

import { airlockServer } from './airlockServer';

airlockServer(null);

it('explains how to enable the missing server extension', async () => {
  const model = new AirlockModel(
    new AirlockClient(ServerConnection.makeSettings())
  );

  await model.refresh();

  expect(model.status).toBeNull();
  expect(model.error).toContain('The Airlock server extension is not running');
  expect(model.error).toContain(
    'jupyter server extension enable jupyterlab_airlock'
  );
});

it('says so at once, in a notification that stays', async () => {
  const problem = await handshake(
    new AirlockClient(ServerConnection.makeSettings()),
    nullTranslator.load('jupyterlab_airlock')
  );

  expect(problem).toContain('Airlock’s server part is not loaded');
  expect(problem).toContain(
    '`jupyter server extension enable jupyterlab_airlock`'
  );
  expect(problem).toContain('restart JupyterLab');
  const [notification] = Notification.manager.notifications;
  expect(notification.message).toBe(problem);
  expect(notification.type).toBe('error');
  expect(notification.options.autoClose).toBe(false);
});
