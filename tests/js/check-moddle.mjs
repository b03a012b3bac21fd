// Import BPMN files with bpmn-moddle (the model layer of bpmn.io / Camunda Modeler) and report
// every warning it raises: unknown elements or attributes, unresolved references, duplicate ids.
//
// usage: node tests/js/check-moddle.mjs FILE.bpmn [FILE.bpmn ...]
// prints a JSON array [{file, root, warnings: [message, ...], error}] and exits 1 when any file
// has a warning or fails to import, 2 on bad usage.
import { readFile } from 'node:fs/promises';
import { BpmnModdle } from 'bpmn-moddle';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node check-moddle.mjs FILE.bpmn [FILE.bpmn ...]');
  process.exit(2);
}

const moddle = new BpmnModdle();
const results = [];
for (const file of files) {
  const result = { file, root: null, warnings: [], error: null };
  try {
    const xml = await readFile(file, 'utf8');
    const { rootElement, warnings } = await moddle.fromXML(xml, 'bpmn:Definitions');
    result.root = rootElement ? rootElement.$type : null;
    result.warnings = (warnings || []).map((w) => String(w.message || w));
    if (result.root !== 'bpmn:Definitions') {
      result.error = `root element is ${result.root}, not bpmn:Definitions`;
    }
  } catch (err) {
    result.error = String((err && err.message) || err);
    result.warnings = ((err && err.warnings) || []).map((w) => String(w.message || w));
  }
  results.push(result);
}

console.log(JSON.stringify(results, null, 2));
process.exit(results.some((r) => r.error || r.warnings.length) ? 1 : 0);
