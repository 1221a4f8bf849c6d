import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IJob } from '../api';
import {
  AirlockModel,
  IKernelOrigin,
  kernelNameProblem,
  suggestDisplayName,
  suggestKernelName
} from '../model';
import { messageOf } from '../request';

interface IKernelNames {
  name: string;
  displayName: string;
}

/**
 * Ask for the new kernel's names, then start making it; ask again, saying why, while
 * the names would be refused. Resolves to the job, or null when the user gave up.
 */
export async function createKernelAsking(
  model: AirlockModel,
  origin: IKernelOrigin,
  trans: TranslationBundle
): Promise<IJob | null> {
  const taken = () => model.kernels.map(kernel => kernel.name);
  let names: IKernelNames = {
    name: suggestKernelName(origin.base, taken()),
    displayName: suggestDisplayName(
      origin.base,
      model.kernels.map(kernel => kernel.displayName)
    )
  };
  let problem: string | null = null;
  for (;;) {
    const answer = await showDialog({
      title: trans.__('Create a kernel from %1', origin.label),
      body: new KernelNamesForm(origin, names, problem, trans),
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: trans.__('Create kernel') })
      ],
      focusNodeSelector: 'input'
    });
    if (!answer.button.accept || !answer.value) {
      return null;
    }
    names = answer.value;
    problem = kernelNameProblem(
      names.name,
      names.displayName,
      taken(),
      trans,
      model.status?.rules.kernel_name
    );
    if (problem) {
      continue;
    }
    try {
      const job = await model.createKernel({
        key: origin.key,
        name: names.name,
        display_name: names.displayName.trim()
      });
      Notification.info(
        trans.__(
          'Creating the kernel %1: the Jobs section follows it.',
          names.displayName
        ),
        { autoClose: 5000 }
      );
      return job;
    } catch (reason) {
      problem = messageOf(reason);
    }
  }
}

/**
 * The dialog's body: the kernel name and the name shown in the launcher.
 */
class KernelNamesForm
  extends ReactWidget
  implements Dialog.IBodyWidget<IKernelNames>
{
  constructor(
    private readonly _origin: IKernelOrigin,
    private _names: IKernelNames,
    private readonly _problem: string | null,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-Airlock-createKernel');
  }

  getValue(): IKernelNames {
    return this._names;
  }

  render(): JSX.Element {
    return (
      <KernelNamesFields
        origin={this._origin}
        initial={this._names}
        problem={this._problem}
        trans={this._trans}
        onChange={names => (this._names = names)}
      />
    );
  }
}

function KernelNamesFields(props: {
  origin: IKernelOrigin;
  initial: IKernelNames;
  problem: string | null;
  trans: TranslationBundle;
  onChange: (names: IKernelNames) => void;
}): JSX.Element {
  const { origin, initial, problem, trans, onChange } = props;
  const [names, setNames] = React.useState(initial);
  const change = (next: IKernelNames) => {
    setNames(next);
    onChange(next);
  };
  const ref = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    // The dialog's Create kernel acts only on names the fields accept (required, the
    // kernel name's pattern); the server's rule is checked again on the answer.
    const fields = ref.current;
    const accept = fields
      ?.closest('.jp-Dialog-content')
      ?.querySelector<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept');
    if (fields && accept) {
      accept.disabled = Array.from(fields.querySelectorAll('input')).some(
        input => !input.checkValidity()
      );
    }
  }, [names]);
  return (
    <div className="jp-Airlock-field" ref={ref}>
      <p className="jp-Airlock-muted jp-Airlock-url">{origin.key}</p>
      {origin.details && <p className="jp-Airlock-muted">{origin.details}</p>}
      <label className="jp-Airlock-label" htmlFor="jp-airlock-kernel-display">
        {trans.__('Name in the launcher')}
      </label>
      <input
        id="jp-airlock-kernel-display"
        className="jp-mod-styled"
        required
        value={names.displayName}
        onChange={event =>
          change({ ...names, displayName: event.currentTarget.value })
        }
      />
      <label className="jp-Airlock-label" htmlFor="jp-airlock-kernel-name">
        {trans.__('Kernel name (lower-case letters, digits, ., _ and -)')}
      </label>
      <input
        id="jp-airlock-kernel-name"
        className="jp-mod-styled jp-Airlock-url"
        required
        // The browser compiles it with the `v` flag, where '-' in a class is escaped.
        pattern="[a-z0-9][a-z0-9._\-]{0,63}"
        value={names.name}
        onChange={event =>
          change({ ...names, name: event.currentTarget.value })
        }
      />
      {problem && (
        <div className="jp-Airlock-error" role="alert">
          {problem}
        </div>
      )}
      <p className="jp-Airlock-muted">
        {trans.__(
          'A new environment is made with everything installed offline and verified; nothing existing changes.'
        )}
      </p>
    </div>
  );
}
