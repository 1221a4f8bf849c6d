import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { CatalogModel } from '../../catalog';

/**
 * Copy, and when the destination exists, ask before replacing it.
 */
export async function copyAsking(
  model: CatalogModel,
  destination: string,
  trans: TranslationBundle,
  key?: string
): Promise<void> {
  if ((await model.copy(destination, false, key)) !== 'exists') {
    return;
  }
  const answer = await showDialog({
    title: trans.__('Replace %1?', destination),
    body: trans.__(
      '%1 already exists in the workspace. Replace it with the copy from the source?',
      destination
    ),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: trans.__('Replace') })
    ]
  });
  if (answer.button.accept) {
    await model.copy(destination, true, key);
  }
}

/**
 * Ask where the open folder goes, then copy all of it.
 */
export async function copyFolder(
  model: CatalogModel,
  trans: TranslationBundle
): Promise<void> {
  const name =
    model.prefix
      .split('/')
      .filter(part => part)
      .pop() ?? '';
  const answer = await InputDialog.getText({
    title: trans.__('Copy the folder %1 to the workspace', model.prefix),
    label: trans.__('Path in the workspace'),
    text: name
  });
  if (answer.button.accept && answer.value) {
    await copyAsking(model, answer.value, trans, model.prefix);
  }
}
