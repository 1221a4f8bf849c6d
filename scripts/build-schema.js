// Writes jupyterlab_airlock/profile.schema.json, the one description of a profile, into
// the settings schema (schema/plugin.json, definitions.profile): JupyterLab's settings
// schemas cannot refer to another file. `--check` writes nothing and fails when the
// settings schema holds another profile, so an edit of the copy fails CI.
const { readFile, writeFile } = require('node:fs/promises');
const path = require('node:path');
const { isDeepStrictEqual } = require('node:util');
const prettier = require('prettier');

const PROFILE = 'jupyterlab_airlock/profile.schema.json';
const SETTINGS = 'schema/plugin.json';

async function main() {
  const root = path.join(__dirname, '..');
  const settingsPath = path.join(root, SETTINGS);
  const profile = JSON.parse(await readFile(path.join(root, PROFILE), 'utf-8'));
  // The settings schema declares the dialect for its whole document.
  delete profile.$schema;
  const current = await readFile(settingsPath, 'utf-8');
  const settings = JSON.parse(current);
  const embedded = settings.definitions?.profile;
  settings.definitions = { ...settings.definitions, profile };
  // Formatted as `jlpm prettier` would, so the file only changes with the profile.
  const options = await prettier.resolveConfig(settingsPath);
  const wanted = await prettier.format(JSON.stringify(settings, null, 2), {
    ...options,
    filepath: settingsPath
  });
  if (wanted === current) {
    return 0;
  }
  if (process.argv.includes('--check')) {
    console.error(
      isDeepStrictEqual(embedded, profile)
        ? `${SETTINGS} is not formatted as prettier does: run \`jlpm build:schema\`.`
        : `${SETTINGS}: its definitions.profile is not ${PROFILE}. Edit ${PROFILE} ` +
            '(the one description of a profile), then run `jlpm build:schema`.'
    );
    return 1;
  }
  await writeFile(settingsPath, wanted);
  console.log(`${SETTINGS}: definitions.profile written from ${PROFILE}`);
  return 0;
}

main().then(code => {
  process.exitCode = code;
});
