import { Box, render, Text, useInput, useWindowSize } from 'ink';
import { basename } from 'node:path';
import { useEffect, useState, type ReactNode } from 'react';
import { baseUrl } from '../banner.ts';
import type { LogLine } from '../log.ts';
import type { ServerState } from '../state.ts';
import type { LogLines, TuiOptions } from './index.ts';

/** What one screen shows, read from the same ServerState the REST API and Socket.IO read: every camera in brief, the selected one in full. */
function readSnapshot(state: ServerState, selected: number) {
  const camera = state.cameras[Math.min(selected, state.cameras.length - 1)]!;
  const status = state.status(camera);
  const perClass = new Map<string, number>();
  for (const d of camera.detections().detections) perClass.set(d.class_name, (perClass.get(d.class_name) ?? 0) + 1);
  return {
    cameras: state.cameraList(),
    selected: camera.id,
    camera: status.camera,
    fps: status.fps,
    frames: status.frame_count,
    dropped: status.stream.frames_dropped,
    clients: status.stream.clients,
    encodeMs: status.encoder.encode_ms,
    detection: status.detection,
    perClass: [...perClass].sort((a, b) => b[1] - a[1]),
    integrations: Object.entries(status.integrations ?? {}),
  };
}

type Snapshot = ReturnType<typeof readSnapshot>;

const STATE_COLOR: Record<string, string> = { Streaming: 'green', Connecting: 'yellow', Connected: 'yellow', Reconnecting: 'yellow', Failed: 'red', Stopped: 'gray' };
const INTEGRATION_COLOR: Record<string, string> = { connected: 'green', disconnected: 'yellow', error: 'red', disabled: 'gray' };
const LEVEL_COLOR: Record<string, string> = { info: 'gray', warn: 'yellow', error: 'red' };
/** Lines in the detections and integrations panels before they are cut. */
const LIST_ROWS = 5;
/** Camera rows shown at once; more scroll with the selection. */
const CAMERA_ROWS = 8;

interface DashboardProps extends TuiOptions {
  lines: LogLines;
}

function Dashboard({ state, lines, onQuit }: DashboardProps) {
  const { columns, rows } = useWindowSize();
  const [selected, setSelected] = useState(0);
  const [snapshot, setSnapshot] = useState(() => readSnapshot(state, selected));
  // A new log line re-renders the log panel.
  const [, setLogTick] = useState(0);
  const [notice, setNotice] = useState('');

  // Twice a second, like a dashboard's refresh; frames themselves never wait on this.
  useEffect(() => {
    setSnapshot(readSnapshot(state, selected));
    const timer = setInterval(() => setSnapshot(readSnapshot(state, selected)), 500);
    return () => clearInterval(timer);
  }, [state, selected]);
  useEffect(() => lines.subscribe(() => setLogTick((n) => n + 1)), [lines]);

  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) {
      setNotice('quitting…');
      onQuit();
    } else if (input === 'd') {
      const camera = state.camera(snapshot.selected);
      if (!camera) return;
      camera.setDetectionEnabled(!camera.detectionEnabled);
      setNotice(`detection: turned ${camera.detectionEnabled ? 'on' : 'off'}${state.cameras.length > 1 ? ` for ${camera.id}` : ''}`);
    } else if (key.upArrow || key.downArrow) {
      const count = state.cameras.length;
      setSelected((n) => (Math.min(n, count - 1) + (key.upArrow ? count - 1 : 1)) % count);
    }
  });

  const listRows = Math.min(LIST_ROWS, Math.max(1, snapshot.perClass.length, snapshot.integrations.length));
  const cameraRows = Math.min(CAMERA_ROWS, snapshot.cameras.length);
  // header 1 + cameras box (3 + rows) + status box 7 + lists box (3 + rows) + log box borders and title 3 + footer 1
  const logRows = Math.max(1, rows - (1 + 3 + cameraRows + 7 + 3 + listRows + 3 + 1));
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Box justifyContent="space-between">
        <Text bold>🎥 CCTV stream server <Text color="cyan">{baseUrl(state)}/</Text></Text>
        <Text dimColor>q quit · d toggle detection{snapshot.cameras.length > 1 ? ' · ↑↓ camera' : ''}</Text>
      </Box>
      <CameraTable snapshot={snapshot} rows={cameraRows} />
      <StatusPanel snapshot={snapshot} />
      <Box>
        <Box flexDirection="column" borderStyle="round" borderColor="gray" paddingX={1} width="40%">
          <Text dimColor>DETECTIONS ({snapshot.selected}, newest result)</Text>
          <DetectionList snapshot={snapshot} rows={listRows} />
        </Box>
        <Box flexDirection="column" borderStyle="round" borderColor="gray" paddingX={1} flexGrow={1}>
          <Text dimColor>INTEGRATIONS</Text>
          <IntegrationList snapshot={snapshot} rows={listRows} />
        </Box>
      </Box>
      <Box flexDirection="column" borderStyle="round" borderColor="gray" paddingX={1} flexGrow={1} overflow="hidden">
        <Text dimColor>LOG</Text>
        {lines.last(logRows).map((line, i) => <LogRow key={`${line.at}-${i}`} line={line} />)}
      </Box>
      <Text color={notice ? 'yellow' : 'gray'} wrap="truncate">{notice || ' '}</Text>
    </Box>
  );
}

/** A row per camera: state, fps, viewers, detection; the selected one (details below) marked. */
function CameraTable({ snapshot, rows }: { snapshot: Snapshot; rows: number }) {
  const at = Math.max(0, snapshot.cameras.findIndex((camera) => camera.id === snapshot.selected));
  // The selected row stays in view when there are more cameras than rows.
  const first = Math.min(Math.max(0, at - rows + 1), Math.max(0, snapshot.cameras.length - rows));
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="gray" paddingX={1}>
      <Text dimColor>CAMERAS ({snapshot.cameras.length})</Text>
      {snapshot.cameras.slice(first, first + rows).map((camera) => (
        <Text key={camera.id} wrap="truncate" inverse={camera.id === snapshot.selected && snapshot.cameras.length > 1}>
          <Text bold>{camera.id.padEnd(12)}</Text>
          <Text color={STATE_COLOR[camera.status]}>{camera.status.padEnd(13)}</Text>
          <Text>{`${camera.fps.toFixed(1)} fps`.padStart(9)}  {`${camera.viewers} viewer${camera.viewers === 1 ? '' : 's'}`.padEnd(11)}</Text>
          <Text dimColor> detection {camera.detection.state}{camera.detection.state === 'running' ? ` ${camera.detection.fps.toFixed(1)}/s` : ''}</Text>
          {camera.name !== camera.id ? <Text dimColor>  {camera.name}</Text> : null}
        </Text>
      ))}
    </Box>
  );
}

function StatusPanel({ snapshot }: { snapshot: Snapshot }) {
  const { camera, detection } = snapshot;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={STATE_COLOR[camera.state] ?? 'gray'} paddingX={1}>
      <Field label="Camera">
        <Text color={STATE_COLOR[camera.state]} bold>{camera.state}</Text>
        {camera.reason ? <Text color="yellow">: {camera.reason}</Text> : null}
      </Field>
      <Field label="Source">
        <Text>{camera.source}{camera.width ? `  ${camera.width}×${camera.height}` : ''}  </Text>
        <Text dimColor>reconnects {camera.reconnects}</Text>
      </Field>
      <Field label="Video">
        <Text bold>{snapshot.fps.toFixed(1)} fps</Text>
        <Text>  frames {snapshot.frames} · dropped {snapshot.dropped} · encode {snapshot.encodeMs.toFixed(1)} ms</Text>
      </Field>
      <Field label="Detection">
        {detection ? (
          <Text color={detection.state === 'failed' ? 'red' : undefined}>
            {detection.state}
            {detection.state === 'running' ? ` · ${detection.fps.toFixed(1)} fps · ${detection.infer_ms.toFixed(0)} ms` : ''}
            {detection.model ? ` · ${basename(detection.model)}` : ''}
            {detection.reason ? `: ${detection.reason}` : ''}
          </Text>
        ) : (
          <Text dimColor>—</Text>
        )}
      </Field>
      <Field label="Clients">
        <Text bold>{snapshot.clients}</Text>
        <Text> {snapshot.clients === 1 ? 'viewer' : 'viewers'}</Text>
      </Field>
    </Box>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box>
      <Box width={11} flexShrink={0}>
        <Text dimColor>{label}</Text>
      </Box>
      <Text wrap="truncate">{children}</Text>
    </Box>
  );
}

function DetectionList({ snapshot, rows }: { snapshot: Snapshot; rows: number }) {
  if (!snapshot.perClass.length) return <Text dimColor>{snapshot.detection?.state === 'running' ? 'nothing in view' : '—'}</Text>;
  return snapshot.perClass.slice(0, rows).map(([name, count]) => (
    <Text key={name} wrap="truncate">
      <Text bold>{String(count).padStart(3)}</Text> {name}
    </Text>
  ));
}

function IntegrationList({ snapshot, rows }: { snapshot: Snapshot; rows: number }) {
  if (!snapshot.integrations.length) return <Text dimColor>—</Text>;
  return snapshot.integrations.slice(0, rows).map(([name, it]) => (
    <Text key={name} wrap="truncate">
      <Text bold>{name.padEnd(10)}</Text>
      <Text color={INTEGRATION_COLOR[it.state]}>{it.state}</Text>
      {it.queued ? <Text> · {it.queued} queued</Text> : null}
      {it.last_success ? <Text dimColor> · ok {clock(it.last_success)}</Text> : null}
      {it.last_error ? <Text color="red"> · {it.last_error}</Text> : null}
    </Text>
  ));
}

function LogRow({ line }: { line: LogLine }) {
  return (
    <Text wrap="truncate">
      <Text dimColor>{clock(line.at)} </Text>
      <Text color={LEVEL_COLOR[line.level]}>{line.level.padEnd(5)} </Text>
      {line.message}
    </Text>
  );
}

/** Local hh:mm:ss from ms or s since the epoch, or an ISO string. */
function clock(at: string | number): string {
  const ms = typeof at === 'number' ? (at < 1e12 ? at * 1000 : at) : Date.parse(at);
  return Number.isFinite(ms) ? new Date(ms).toTimeString().slice(0, 8) : '—';
}

/** Draws the dashboard on this terminal's alternate screen (restored on stop, like htop or vim). */
export function renderDashboard(props: DashboardProps): { stop(): Promise<void> } {
  const instance = render(<Dashboard {...props} />, {
    // Ctrl-C arrives as a key in raw mode; the dashboard turns it into the server's own shutdown.
    exitOnCtrlC: false,
    // A real terminal is interactive even when CI=true is set in its environment (ink would draw only at exit).
    interactive: true,
    alternateScreen: true,
    maxFps: 10,
  });
  return {
    async stop() {
      instance.unmount();
      await instance.waitUntilExit();
    },
  };
}
