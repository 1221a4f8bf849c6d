/**
 * Asking the DMZ: the component under a plan, against a real Jupyter server with the
 * Airlock server extension (started by @jupyterlab/testing; nothing is mocked), and the
 * request's life as the Activity view derives it from audit records.
 */
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { actionLabel, summarizeRecord } from '../audit';
import {
  AirlockClient,
  IAuditRecord,
  IDmzRequestAnswer,
  IInstallPlan
} from '../api';
import {
  Deliveries,
  DmzRequestAnswer,
  DmzRequestModel,
  DmzRequestView,
  requestLives,
  requestText,
  RequestLife
} from '../components/DmzRequest';

import { airlockServer } from './airlockServer';

const trans = nullTranslator.load('jupyterlab_airlock');
const ID = '3f2a6c1e'.repeat(4);

airlockServer();

/**
 * A plan as the server answers one that lacks a package (its id unknown to the server).
 */
function lackingPlan(fields: Partial<IInstallPlan> = {}): IInstallPlan {
  return {
    id: '0'.repeat(32),
    kernel: 'python3',
    display_name: 'Python 3',
    environment: { prefix: '/opt/env', kind: 'venv', python_version: '3.11.7' },
    steps: [],
    missing: [
      {
        requirement: 'idna>=2.5,<4',
        needed_by: 'requests',
        message:
          'idna>=2.5,<4, needed by requests, is not in the artifact source.'
      }
    ],
    refused: [],
    ok: false,
    summary: 'Nothing can be installed into Python 3 yet: 1 problem below.',
    advisory_data: null,
    delivered: [],
    ...fields
  };
}

const ANSWER: IDmzRequestAnswer = {
  id: ID,
  document: {
    airlock_request: 1,
    id: ID,
    created: '2025-01-31T12:00:00Z',
    user: 'alice',
    kernel: { name: 'python3', display_name: 'Python 3', environment: 'venv' },
    target: { python_version: '3.11', platforms: ['manylinux_2_17_x86_64'] },
    requested: ['requests'],
    missing: [{ requirement: 'idna>=2.5,<4', needed_by: 'requests' }],
    constraints: ['certifi==2024.8.30']
  },
  file_name: 'dmz-request-3f2a6c1e.json',
  command:
    'jupyter airlock bundle dmz-bundle-3f2a6c1e --from-request dmz-request-3f2a6c1e.json',
  stored: 's3://to-dmz/requests/dmz-request-3f2a6c1e.json',
  problem: null
};

/**
 * ``element`` rendered into the document; the widget to dispose of.
 */
async function shown(element: JSX.Element): Promise<ReactWidget> {
  const widget = ReactWidget.create(element);
  Widget.attach(widget, document.body);
  await rerendered(widget);
  return widget;
}

/**
 * Every pending update of ``widget`` committed to the DOM.
 */
async function rerendered(widget: ReactWidget): Promise<void> {
  MessageLoop.sendMessage(widget, Widget.Msg.UpdateRequest);
  await widget.renderPromise;
}

function client(): AirlockClient {
  return new AirlockClient(ServerConnection.makeSettings());
}

describe('DmzRequestView', () => {
  it('offers the request under a plan that lacks packages, and shows the server’s answer', async () => {
    const model = new DmzRequestModel(client(), lackingPlan());
    const widget = await shown(<DmzRequestView model={model} trans={trans} />);
    const button = widget.node.querySelector('button');
    expect(button?.textContent).toBe('Request from the DMZ');

    const answered = new Promise<void>(resolve =>
      model.changed.connect(() => {
        if (!model.busy) {
          resolve();
        }
      })
    );
    button!.click();
    await answered;
    await rerendered(widget);

    // The server no longer knows this plan: the user reads what to do.
    expect(model.answer).toBeNull();
    expect(widget.node.querySelector('[role="alert"]')?.textContent).toBe(
      'This plan has expired or the server restarted: plan again.'
    );
    expect(widget.node.querySelector('button')?.disabled).toBe(false);
    widget.dispose();
  });

  it('offers nothing under a plan that lacks nothing', async () => {
    const plan = lackingPlan({
      missing: [],
      refused: [{ item: 'airlock-x 1.0', message: 'denied by the policy' }]
    });
    const model = new DmzRequestModel(client(), plan);
    expect(model.wanted).toBe(false);
    const widget = await shown(<DmzRequestView model={model} trans={trans} />);
    expect(widget.node.textContent).toBe('');
    widget.dispose();
  });
});

describe('DmzRequestAnswer', () => {
  it('says where the request went and gives the command to copy', async () => {
    const widget = await shown(
      <DmzRequestAnswer answer={ANSWER} trans={trans} />
    );
    expect(widget.node.textContent).toContain(
      'Request 3f2a6c1e written to s3://to-dmz/requests/dmz-request-3f2a6c1e.json.'
    );
    expect(
      widget.node.querySelector('[data-testid="airlock-dmz-command"]')
        ?.textContent
    ).toBe(ANSWER.command);
    const labels = Array.from(widget.node.querySelectorAll('button')).map(
      button => button.textContent
    );
    expect(labels).toEqual([
      'Copy command',
      'Download dmz-request-3f2a6c1e.json'
    ]);
    widget.dispose();
  });

  it('says why a request could not be stored, and offers the download', async () => {
    const widget = await shown(
      <DmzRequestAnswer
        answer={{ ...ANSWER, stored: null, problem: 'the bucket is gone' }}
        trans={trans}
      />
    );
    expect(widget.node.textContent).toContain(
      'Request 3f2a6c1e is ready: download it and take it to the DMZ.'
    );
    expect(widget.node.querySelector('[role="alert"]')?.textContent).toBe(
      'It could not be stored for the DMZ (the bucket is gone); download it instead.'
    );
    widget.dispose();
  });

  it('asks for the DMZ’s channel only when a conda request names none', async () => {
    const conda = {
      subdir: 'linux-64',
      virtual_packages: ['__glibc=2.36=0'],
      constraints: ['python=3.11.7=h_0']
    };
    const unknown = await shown(
      <DmzRequestAnswer
        answer={{ ...ANSWER, document: { ...ANSWER.document, conda } }}
        trans={trans}
      />
    );
    expect(unknown.node.textContent).toContain(
      'add --channel URL with the DMZ’s conda channel'
    );
    unknown.dispose();
    const channels = ['https://mirror.corp/conda-forge'];
    const known = await shown(
      <DmzRequestAnswer
        answer={{
          ...ANSWER,
          document: { ...ANSWER.document, conda: { ...conda, channels } }
        }}
        trans={trans}
      />
    );
    expect(known.node.textContent).not.toContain('--channel');
    expect(known.node.textContent).toContain(ANSWER.command);
    known.dispose();
  });

  it('downloads the document itself, readable', () => {
    expect(JSON.parse(requestText(ANSWER))).toEqual(ANSWER.document);
    expect(requestText(ANSWER)).toContain('\n "missing": [');
  });
});

describe('Deliveries', () => {
  it('links the plan’s packages to the request their bundle answers', async () => {
    const plan = lackingPlan({
      missing: [],
      delivered: [
        {
          request: ID,
          bundle: 'bundles/dmz-bundle-3f2a6c1e/',
          packages: ['idna 3.7', 'requests 2.32.3']
        }
      ]
    });
    const widget = await shown(<Deliveries plan={plan} trans={trans} />);
    const item = widget.node.querySelector(
      '[data-testid="airlock-plan-delivered"]'
    );
    expect(item?.getAttribute('data-request')).toBe(ID);
    expect(item?.textContent).toBe(
      'Delivered for DMZ request 3f2a6c1e by the bundle bundles/dmz-bundle-3f2a6c1e/: idna 3.7, requests 2.32.3'
    );
    widget.dispose();
  });
});

function record(
  time: string,
  action: string,
  result: string,
  fields: Record<string, unknown> = {}
): IAuditRecord {
  return { time, user: 'alice', action, result, ...fields };
}

describe('requestLives', () => {
  const other = 'ab'.repeat(16);
  const records = [
    // Newest first, as the trail answers.
    record('2025-02-03T09:00:00+00:00', 'install', 'succeeded', {
      dmz_requests: [ID]
    }),
    record('2025-02-03T08:00:00+00:00', 'install', 'failed', {
      dmz_requests: [ID]
    }),
    record('2025-02-03T07:59:00+00:00', 'plan', 'ok', { dmz_requests: [ID] }),
    record('2025-02-02T10:00:00+00:00', 'plan', 'ok', { dmz_requests: [ID] }),
    record('2025-02-01T12:00:00+00:00', 'dmz-request', 'ok', {
      dmz_request: other,
      kernel: 'geo',
      missing: ['shapely']
    }),
    record('2025-01-31T12:00:00+00:00', 'dmz-request', 'ok', {
      dmz_request: ID,
      kernel: 'python3',
      missing: ['idna>=2.5,<4']
    }),
    record('2025-01-31T11:59:00+00:00', 'plan', 'refused', {
      kernel: 'python3'
    })
  ];

  it('follows each request from asked to delivered to installed', () => {
    expect(requestLives(records)).toEqual([
      {
        id: other,
        kernel: 'geo',
        missing: ['shapely'],
        asked: '2025-02-01T12:00:00+00:00',
        delivered: null,
        installed: null
      },
      {
        id: ID,
        kernel: 'python3',
        missing: ['idna>=2.5,<4'],
        asked: '2025-01-31T12:00:00+00:00',
        delivered: '2025-02-02T10:00:00+00:00',
        installed: '2025-02-03T09:00:00+00:00'
      }
    ]);
  });

  it('shows each life in the Activity view', async () => {
    const widget = await shown(<RequestLife records={records} trans={trans} />);
    const items = Array.from(
      widget.node.querySelectorAll('[data-testid="airlock-request-life"]')
    );
    expect(items.map(item => item.getAttribute('data-stage'))).toEqual([
      'asked',
      'installed'
    ]);
    expect(items[0].textContent).toContain(
      'DMZ request abababab (shapely for geo)'
    );
    expect(items[0].textContent).toContain(
      'not delivered yet → not installed yet'
    );
    widget.dispose();
  });
});

describe('the dmz-request record', () => {
  it('reads as what was asked, for which kernel, and where it went', () => {
    const asked = record('2025-01-31T12:00:00+00:00', 'dmz-request', 'ok', {
      dmz_request: ID,
      kernel: 'python3',
      missing: ['idna>=2.5,<4'],
      stored: null
    });
    expect(actionLabel('dmz-request', trans)).toBe('DMZ request');
    expect(summarizeRecord(asked, trans)).toBe(
      'idna>=2.5,<4 for python3 (to download)'
    );
  });
});
