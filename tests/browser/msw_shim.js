// What `import { http, HttpResponse } from "msw"` resolves to on the test page (its import map):
// MSW's browser build (msw/lib/iife), loaded by a script tag, without a bundler.
export const { http, HttpResponse, delay, passthrough } = window.MockServiceWorker;
