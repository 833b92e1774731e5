// validate.cjs checks Backstage catalog files as the catalog would: each
// YAML document's placeholders ($text, $json, $yaml) resolved against the
// file's folder, then the catalog's default entity policies (namespace, no
// foreign root fields, field formats, the entity envelope schema) and the
// kind's own validator: Component, API, System, Group, Location, ... from
// @backstage/catalog-model, Template from @backstage/plugin-scaffolder-common.
// The packages are pinned in package-lock.json beside this file and
// installed by `go tool task backstage:tools` (NODE_PATH points at them).
//
// usage: node validate.cjs [--unbuilt PREFIX]... FILE...
// Prints one line per entity; exits 1 if any is invalid. --unbuilt names a
// folder that a build would fill (a service rendered with --no-build has no
// gen/): a placeholder pointing there reads as a note instead of failing.
'use strict';

const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const model = require('@backstage/catalog-model');
const { templateEntityV1beta3Validator } = require('@backstage/plugin-scaffolder-common');

// The policies the catalog applies to every entity by default.
const policy = model.EntityPolicies.allOf([
  new model.DefaultNamespaceEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
  new model.SchemaValidEntityPolicy(),
]);

const kindValidators = [
  model.componentEntityV1alpha1Validator,
  model.apiEntityV1alpha1Validator,
  model.systemEntityV1alpha1Validator,
  model.domainEntityV1alpha1Validator,
  model.resourceEntityV1alpha1Validator,
  model.groupEntityV1alpha1Validator,
  model.userEntityV1alpha1Validator,
  model.locationEntityV1alpha1Validator,
  templateEntityV1beta3Validator,
];

// resolve replaces placeholders as the catalog's PlaceholderProcessor does:
// an object with exactly one key, $text, $json or $yaml, whose value is a
// path relative to the catalog file.
function resolve(value, dir, unbuilt) {
  if (Array.isArray(value)) return value.map(v => resolve(v, dir, unbuilt));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && ['$text', '$json', '$yaml'].includes(keys[0])) {
    const ref = value[keys[0]];
    if (typeof ref !== 'string' || /^[a-z]+:/i.test(ref)) {
      throw new Error(`${keys[0]}: ${JSON.stringify(ref)}: only relative paths are checked here`);
    }
    const file = path.resolve(dir, ref);
    const rel = path.relative(dir, file).split(path.sep).join('/');
    if (!fs.existsSync(file) && unbuilt.some(p => rel.startsWith(p))) return `(${rel}: written by the build)`;
    const text = fs.readFileSync(file, 'utf8');
    if (keys[0] === '$json') return JSON.parse(text);
    if (keys[0] === '$yaml') return YAML.parse(text);
    return text;
  }
  const out = {};
  for (const k of keys) out[k] = resolve(value[k], dir, unbuilt);
  return out;
}

async function check(entity) {
  const checked = await policy.enforce(entity);
  if (!checked) throw new Error('rejected by the entity policies');
  for (const v of kindValidators) {
    if (await v.check(checked)) return;
  }
  throw new Error(`no validator accepts apiVersion ${entity.apiVersion} kind ${entity.kind}`);
}

async function main(args) {
  const unbuilt = [];
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--unbuilt') unbuilt.push(args[++i]);
    else files.push(args[i]);
  }
  if (files.length === 0) {
    console.error('usage: node validate.cjs [--unbuilt PREFIX]... FILE...');
    return 2;
  }
  let bad = 0;
  for (const file of files) {
    const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), { uniqueKeys: true });
    for (const [i, doc] of docs.entries()) {
      const where = `${file}: document ${i + 1}`;
      if (doc.errors.length > 0) {
        console.log(`${where}: invalid YAML: ${doc.errors[0].message}`);
        bad++;
        continue;
      }
      const raw = doc.toJS();
      if (raw === null) continue;
      const name = `${raw.kind} ${raw.metadata && raw.metadata.name}`;
      try {
        await check(resolve(raw, path.dirname(file), unbuilt));
        console.log(`${where} (${name}): valid`);
      } catch (e) {
        console.log(`${where} (${name}): invalid: ${e.message}`);
        bad++;
      }
    }
  }
  return bad > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(code => process.exit(code), e => {
  console.error(e);
  process.exit(2);
});
