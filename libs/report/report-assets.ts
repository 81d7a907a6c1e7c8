import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReportAssets {
  echarts: string;
  pageScript: string;
  styles: string;
}

let cached: ReportAssets | undefined;

/**
 * The files inlined into every report, read once per process. The page script and styles are not
 * TypeScript, so they stay in the source tree (dist/ only has compiled TS): this module is
 * dist/libs/report/report-assets.js, three levels below the repository root.
 */
export function reportAssets(): ReportAssets {
  if (!cached) {
    // echarts exports no ./dist path, so its minified bundle is found beside the package's entry file.
    const echartsDir = dirname(fileURLToPath(import.meta.resolve('echarts')));
    const asset = (name: string): string =>
      readFileSync(new URL(`../../../libs/report/assets/${name}`, import.meta.url), 'utf8');
    cached = {
      echarts: readFileSync(join(echartsDir, 'dist', 'echarts.min.js'), 'utf8'),
      pageScript: asset('report-page.js'),
      styles: asset('report-page.css'),
    };
  }
  return cached;
}

/** Inline script text may not contain `</script`; JS reads `<\/script` the same inside strings and regexps. */
export function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script');
}
