// Developer check (`make asyncapi-lint`): parses docs/events/asyncapi.json with the
// official AsyncAPI parser and fails on any error diagnostic. Not part of `make
// test` (it needs the npm registry); asyncapi_doc_test keeps the file current.
import { Parser } from '@asyncapi/parser';
import fs from 'fs';
const parser = new Parser();
const doc = fs.readFileSync(process.argv[2], 'utf8');
const { document, diagnostics } = await parser.parse(doc);
const errors = diagnostics.filter(d => d.severity === 0);
const warns = diagnostics.filter(d => d.severity === 1);
for (const d of errors.slice(0, 20)) console.log('ERROR', d.code, d.message, JSON.stringify(d.path));
for (const d of warns.slice(0, 10)) console.log('WARN', d.code, d.message, JSON.stringify(d.path));
console.log('errors', errors.length, 'warnings', warns.length, 'parsed', !!document);
if (document) console.log('channels', document.channels().length, 'messages', document.allMessages().length);
process.exit(errors.length === 0 && document ? 0 : 1);
