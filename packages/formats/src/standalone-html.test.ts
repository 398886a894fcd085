import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildStandaloneHtml, escapeScript } from './standalone-html.js';

const data = {
  flamebearer: {
    names: ['total', 'evil</script><script>alert(1)</script>', 'a<!--b'],
    levels: [
      [0, 3, 0, 0],
      [0, 2, 2, 1, 0, 1, 1, 2],
    ],
    numTicks: 3,
    maxSelf: 2,
  },
  metadata: {
    name: 'api </title><b>',
    unit: 'count',
    profileType: 'process_cpu:samples:count:cpu:nanoseconds',
    from: null,
    until: null,
  },
};

test('function names cannot end the data script or open a comment in it', () => {
  const html = buildStandaloneHtml('console.log(1)', data);
  const json = /<script type="application\/json" id="kiln-data">(.*?)<\/script>/s.exec(html);
  assert.ok(json !== null);
  assert.ok(!json[1]!.includes('<'));
  assert.deepEqual(JSON.parse(json[1]!), data);
  assert.equal(html.match(/<\/script>/g)!.length, 2);
  assert.ok(html.includes('<title>api &lt;/title&gt;&lt;b&gt; · Kiln flame graph</title>'));
});

test('the script keeps its meaning with </script and <!-- escaped', () => {
  const script = 'var s = "</SCRIPT><!--", r = /<\\/script>/; window.out = [s, r.test("</script>")];';
  const escaped = escapeScript(script);
  assert.ok(!/<\/script|<!--/i.test(escaped));
  const run = (src: string): unknown => new Function('window', `${src}; return window.out;`)({});
  assert.deepEqual(run(escaped), run(script));
  assert.ok(buildStandaloneHtml(script, data).includes(`<script>${escaped}</script>`));
});
