// The Settings tab's remote-endpoint notice (ui/src/endpoint.ts), compiled by `npm run test:ui`.

import assert from "node:assert/strict";
import { test } from "node:test";

import { remoteHost, remoteNotice } from "../../target/ui-test/endpoint.js";

test("this computer is not remote", () => {
  for (const e of ["http://127.0.0.1:11434/v1", "http://127.8.9.10/v1", "http://localhost:8080", "http://LOCALHOST:1", "http://[::1]:8080/v1", " http://127.0.0.1:1/v1 "]) {
    assert.equal(remoteHost(e), null, e);
  }
});

test("another computer is named", () => {
  assert.equal(remoteHost("https://gpu.example.org/v1"), "gpu.example.org");
  assert.equal(remoteHost("http://192.168.1.5:11434"), "192.168.1.5");
  assert.equal(remoteHost("http://localhost.evil.example/v1"), "localhost.evil.example");
  assert.equal(remoteHost("http://[2001:db8::1]/v1"), "2001:db8::1");
});

test("what is not a URL gets no notice (saving says what is wrong)", () => {
  for (const e of ["", "localhost:11434", "ftp://h/", "not a url"]) assert.equal(remoteHost(e), null, e);
});

test("the notice names the host and what is sent", () => {
  const n = remoteNotice("gpu.example.org", "the transcripts of your requests");
  assert.match(n, /gpu\.example\.org/);
  assert.match(n, /the transcripts of your requests\.$/);
});
