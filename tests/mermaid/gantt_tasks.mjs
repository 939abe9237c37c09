// Parses Mermaid Gantt charts with the real Mermaid parser (under jsdom: Mermaid sanitizes text
// with DOMPurify, which needs a DOM) and prints, for each file, a JSON line of its tasks as
// Mermaid read them: {"tasks": [{"id", "task", "section", "start", "end", "tags": [...]}]}.
// Exits 1 with Mermaid's message when a chart does not parse, or when its tasks' dates cannot be
// computed (Mermaid parses `a: b :done, ...` and only fails when it lays the tasks out).
//
//   node gantt_tasks.mjs FILE...
import fs from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

const tags = ['done', 'active', 'crit', 'milestone'];
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8');
  try {
    await mermaid.parse(text);  // also registers the diagram types getDiagramFromText looks up
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const tasks = diagram.db.getTasks().map((t) => ({
      id: t.id,
      task: t.task,
      section: t.section,
      start: t.startTime.getTime(),
      end: t.endTime.getTime(),
      tags: tags.filter((tag) => t[tag]),
    }));
    console.log(JSON.stringify({ tasks }));
  } catch (e) {
    console.error(`${file}: mermaid: ${e.message}`);
    process.exit(1);
  }
}
