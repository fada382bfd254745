/**
 * A local Telegram Bot API server for tests: the documented `/bot<token>/<method>` endpoints,
 * parameters as query string, JSON, urlencoded or multipart/form-data, answers in Telegram's
 * `{ ok, result }` / `{ ok: false, error_code, description, parameters }` envelope, and
 * `getUpdates` long polling with `offset` and `timeout`.
 */

export interface TelegramCall {
  method: string;
  params: Record<string, unknown>;
  /** The uploaded photo of a sendPhoto, if any. */
  photo?: { bytes: Uint8Array; filename: string; type: string };
  headers: Record<string, string>;
  at: number;
}

export interface TelegramFailure {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export interface FakeTelegram {
  /** For grammY's `apiRoot` (no trailing slash). */
  apiRoot: string;
  token: string;
  port: number;
  /** Chats that exist; a send to any other answers 400 "Bad Request: chat not found". */
  chats: Set<number>;
  /** Every request that reached the server, in order (accepted or not). */
  calls: TelegramCall[];
  /** Messages delivered (sendMessage/sendPhoto answered ok), in order. */
  delivered: TelegramCall[];
  /** The next `count` calls of `method` fail with this answer. */
  failNext(method: string, count: number, failure: TelegramFailure): void;
  /** A user writes `text` in `chatId`; the bot sees it through getUpdates. */
  userSays(chatId: number, text: string): void;
  /** Resolves once `predicate` holds (checked whenever a request arrives and every 20 ms). */
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Stops listening and cuts open connections (the service is gone), keeping what it received. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): void;
  stop(): Promise<void>;
}

export function startTelegramApi(options: { token?: string; chats?: number[]; port?: number } = {}): FakeTelegram {
  const token = options.token ?? '123456789:AAHfakeTokenForTestsOnly_abcdefghijk';
  const chats = new Set(options.chats ?? [1001]);
  const calls: TelegramCall[] = [];
  const delivered: TelegramCall[] = [];
  const failures = new Map<string, Array<TelegramFailure>>();
  const updates: Array<{ update_id: number; message: Record<string, unknown> }> = [];
  const waiters = new Set<() => void>();
  let nextUpdateId = 1;
  let nextMessageId = 1;
  let server: ReturnType<typeof Bun.serve> | undefined;
  const notify = () => {
    for (const wake of [...waiters]) wake();
  };

  const reply = (result: unknown) => Response.json({ ok: true, result });
  const refuse = (f: TelegramFailure) => Response.json({ ok: false, ...f }, { status: f.error_code });

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return refuse({ error_code: 404, description: 'Not Found' });
    const [, gotToken, method] = match as unknown as [string, string, string];
    const { params, photo } = await readParams(request, url);
    const call: TelegramCall = { method, params, photo, headers: Object.fromEntries(request.headers), at: Date.now() };
    calls.push(call);
    notify();
    if (gotToken !== token) return refuse({ error_code: 401, description: 'Unauthorized' });
    const failure = failures.get(method)?.shift();
    if (failure) return refuse(failure);
    const chatId = params.chat_id === undefined ? undefined : Number(params.chat_id);
    switch (method) {
      case 'getMe':
        return reply({ id: Number(token.split(':')[0]), is_bot: true, first_name: 'CCTV test bot', username: 'cctv_test_bot' });
      case 'getUpdates':
        return reply(await longPoll(params, request.signal));
      case 'sendMessage':
      case 'sendPhoto': {
        if (chatId === undefined || !chats.has(chatId)) return refuse({ error_code: 400, description: 'Bad Request: chat not found' });
        if (method === 'sendMessage' && !params.text) return refuse({ error_code: 400, description: 'Bad Request: message text is empty' });
        if (method === 'sendPhoto' && !photo) return refuse({ error_code: 400, description: 'Bad Request: there is no photo in the request' });
        delivered.push(call);
        notify();
        const message = { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: chatId < 0 ? 'group' : 'private' } };
        return reply(method === 'sendMessage' ? { ...message, text: params.text } : { ...message, caption: params.caption, photo: [{ file_id: `photo${message.message_id}`, file_unique_id: `u${message.message_id}`, width: 1, height: 1 }] });
      }
      default:
        return refuse({ error_code: 404, description: 'Not Found' });
    }
  }

  async function longPoll(params: Record<string, unknown>, signal: AbortSignal) {
    const offset = params.offset === undefined ? undefined : Number(params.offset);
    // An offset confirms every update before it: Telegram forgets those.
    if (offset !== undefined) while (updates.length && updates[0]!.update_id < offset) updates.shift();
    const deadline = Date.now() + Number(params.timeout ?? 0) * 1000;
    while (updates.length === 0 && Date.now() < deadline && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
        waiters.add(wake);
      });
    }
    return updates.slice(0, Number(params.limit ?? 100));
  }

  const listen = (port: number) =>
    Bun.serve({ port, hostname: '127.0.0.1', idleTimeout: 0, fetch: (request) => handle(request).catch((error) => refuse({ error_code: 400, description: `Bad Request: ${(error as Error).message}` })) });
  server = listen(options.port ?? 0);
  const port = server.port!;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    port,
    chats,
    calls,
    delivered,
    failNext(method, count, failure) {
      failures.set(method, [...(failures.get(method) ?? []), ...Array.from({ length: count }, () => failure)]);
    },
    userSays(chatId, text) {
      const date = Math.floor(Date.now() / 1000);
      updates.push({ update_id: nextUpdateId++, message: { message_id: nextMessageId++, date, chat: { id: chatId, type: chatId < 0 ? 'group' : 'private' }, from: { id: chatId, is_bot: false, first_name: 'User' }, text, entities: text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.split(/\s/)[0]!.length }] : [] } });
      notify();
    },
    async waitFor(predicate, timeoutMs = 10_000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`fake Telegram: ${what} not met within ${timeoutMs} ms; calls: ${calls.map((c) => c.method).join(', ')}`);
        await Bun.sleep(20);
      }
    },
    async down() {
      await server?.stop(true);
      server = undefined;
      notify();
    },
    up() {
      server ??= listen(port);
    },
    async stop() {
      await server?.stop(true);
      server = undefined;
      notify();
    },
  };
}

async function readParams(request: Request, url: URL): Promise<{ params: Record<string, unknown>; photo?: TelegramCall['photo'] }> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const type = request.headers.get('content-type') ?? '';
  if (request.method !== 'POST') return { params };
  if (type.startsWith('application/json')) return { params: { ...params, ...((await request.json()) as object) } };
  if (type.startsWith('application/x-www-form-urlencoded')) return { params: { ...params, ...Object.fromEntries(new URLSearchParams(await request.text())) } };
  if (type.startsWith('multipart/form-data')) {
    const form = await request.formData();
    const files = new Map<string, File>();
    for (const [name, value] of form) {
      if (typeof value === 'string') params[name] = value;
      else files.set(name, value as File);
    }
    // Files are sent as their own parts and referenced as attach://<name>, or as the field itself.
    let photo: TelegramCall['photo'];
    const ref = typeof params.photo === 'string' && params.photo.startsWith('attach://') ? params.photo.slice(9) : 'photo';
    const file = files.get(ref);
    if (file) photo = { bytes: new Uint8Array(await file.arrayBuffer()), filename: file.name, type: file.type };
    return { params, photo };
  }
  return { params };
}
