import { describe, expect, it } from 'vitest';
import { isAppUrl, originOf } from './app-origin.ts';
import { answerBridgeCall, senderRejection } from './ipc-sender.ts';

const APP = 'http://127.0.0.1:40123';
const good = { url: `${APP}/#/pods`, isTopFrame: true, isMainWindowFrame: true };

describe('app origin', () => {
  it('matches only the exact scheme, host and port', () => {
    expect(isAppUrl(`${APP}/index.html?x#y`, APP)).toBe(true);
    expect(isAppUrl('http://127.0.0.1:40124/', APP)).toBe(false);
    expect(isAppUrl('https://127.0.0.1:40123/', APP)).toBe(false);
    expect(isAppUrl('http://localhost:40123/', APP)).toBe(false);
    expect(isAppUrl('http://127.0.0.1:40123@evil.example/', APP)).toBe(false);
  });

  it('has no origin for local and opaque URLs', () => {
    expect(originOf('file:///etc/passwd')).toBeNull();
    expect(originOf('data:text/html,hi')).toBeNull();
    expect(originOf('about:blank')).toBeNull();
    expect(originOf('not a url')).toBeNull();
  });
});

describe('senderRejection', () => {
  it('accepts the main window top frame on the app origin', () => {
    expect(senderRejection(good, APP)).toBeNull();
  });

  it('refuses a missing frame, a subframe, another window, and another origin', () => {
    expect(senderRejection(null, APP)).toMatch(/gone/);
    expect(senderRejection({ ...good, isTopFrame: false }, APP)).toMatch(/top frame/);
    expect(senderRejection({ ...good, isMainWindowFrame: false }, APP)).toMatch(/main window/);
    expect(senderRejection({ ...good, url: 'https://example.com/' }, APP)).toMatch(/only pages from http:\/\/127\.0\.0\.1:40123/);
    expect(senderRejection({ ...good, url: 'file:///tmp/x.html' }, APP)).toMatch(/only pages from/);
  });
});

describe('answerBridgeCall', () => {
  it('answers {result} when accepted', async () => {
    expect(await answerBridgeCall(null, async () => 42)).toEqual({ result: 42 });
  });

  it('answers {error} without running the work when refused', async () => {
    let ran = false;
    expect(await answerBridgeCall('the sending frame is gone', () => (ran = true))).toEqual({ error: 'refused: the sending frame is gone' });
    expect(ran).toBe(false);
  });

  it('turns a thrown error into {error}', async () => {
    expect(await answerBridgeCall(null, () => Promise.reject(new Error('disk full')))).toEqual({ error: 'disk full' });
    expect(await answerBridgeCall(null, () => { throw 'odd'; })).toEqual({ error: 'odd' });
  });
});
