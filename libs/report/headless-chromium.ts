/**
 * How the report is opened in Debian's Chromium (driven by playwright-core, never a downloaded browser):
 * no sandbox as root, no GPU, and no background networking, which this machine's closed network refuses.
 */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export const HEADLESS_CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
