// The Live tab's page side (run by gr.HTML's js_on_load: element, trigger, props, server, watch are given).
// Microphone or audio file → 16 kHz int16 chunks → server.live_push → JPEG frames drawn on the canvas at the
// frames' own pace; a file's sound is played with its frames. At most IN_FLIGHT requests at once: audio captured
// meanwhile goes with the next one, so a slow network sends fewer, larger requests instead of falling behind.
const RATE = 16000;
const IN_FLIGHT = 3;
const MARGIN_MS = 25;  // how early a frame is due to arrive to be shown in time, absorbing the network's jitter
const view = element.querySelector(".live-view");
const status = element.querySelector(".live-status");
const startButton = element.querySelector(".live-start");
const stopButton = element.querySelector(".live-stop");
const fileInput = element.querySelector(".live-file");
const draw = view.getContext("2d");
let run = null;  // the running session: its audio graph, queues and counters
let attempts = 0;  // each Start's number: the server's answer names the Start it answers

function say(text) { status.textContent = text; }

function sourceKind() { return element.querySelector("input.live-source:checked").value; }

function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text) { return Uint8Array.from(atob(text), (c) => c.charCodeAt(0)); }

function resampler(fromRate) {
  // linear interpolation to 16 kHz; keeps its position across blocks so chunks join without clicks
  let position = 0, last = 0;
  const step = fromRate / RATE;
  return (input) => {
    const out = [];
    while (position < input.length) {
      const i = Math.floor(position), frac = position - i;
      const a = i === 0 ? last : input[i - 1], b = input[i];
      out.push(a + (b - a) * frac);
      position += step;
    }
    position -= input.length;
    last = input[input.length - 1];
    return Float32Array.from(out);
  };
}

async function begin() {
  if (run) return;
  const kind = sourceKind();
  const file = fileInput.files[0];
  if (kind === "file" && !file) { say("Choose an audio file first."); return; }
  startButton.disabled = true;
  say("Starting…");
  const ctx = new AudioContext();
  await ctx.resume();
  run = { ctx, token: null, pending: [], pendingLength: 0, captured: 0, marks: [], frames: [], base: null,
          shown: 0, dropped: 0, delays: [], shownTimes: [], playFrom: 0, ended: false, kind, attempt: ++attempts };
  try {
    if (kind === "mic") {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error("no microphone here");
      run.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
      run.source = ctx.createMediaStreamSource(run.stream);
    } else {
      const decoded = await ctx.decodeAudioData(await file.arrayBuffer());
      run.source = ctx.createBufferSource();
      run.source.buffer = decoded;
      run.source.onended = () => { if (run && run.send) { run.ended = true; run.send(); } };
    }
  } catch (err) {
    const what = kind === "mic" ? "The microphone could not be opened (allow it, or choose an audio file)"
      : "That audio file could not be read";
    finish(`${what}: ${err.message}.`);
    return;
  }
  const starting = run;
  starting.toRate = resampler(ctx.sampleRate);
  starting.node = await tapNode(ctx, heard);
  if (run !== starting) return;  // stopped meanwhile
  stopButton.disabled = false;
  trigger("click", { attempt: run.attempt });  // the server checks the portrait and style, answers in props.value
}

// An AudioWorklet processor that hands the page blocks of 1024 samples (the audio thread never waits on the page).
const TAP = `class StyleheadTap extends AudioWorkletProcessor {
  constructor() { super(); this.block = new Float32Array(1024); this.filled = 0; }
  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    for (let at = 0; input && at < input.length;) {
      const n = Math.min(input.length - at, this.block.length - this.filled);
      this.block.set(input.subarray(at, at + n), this.filled);
      this.filled += n; at += n;
      if (this.filled === this.block.length) { this.port.postMessage(this.block.slice()); this.filled = 0; }
    }
    return true;
  }
}
registerProcessor("stylehead-tap", StyleheadTap);`;

async function tapNode(ctx, onBlock) {
  // AudioWorklet where the page may use it (a secure page: https or localhost); ScriptProcessor elsewhere
  if (ctx.audioWorklet && window.AudioWorkletNode) {
    try {
      const url = URL.createObjectURL(new Blob([TAP], { type: "application/javascript" }));
      await ctx.audioWorklet.addModule(url);
      URL.revokeObjectURL(url);
      const node = new AudioWorkletNode(ctx, "stylehead-tap", { channelCount: 1, channelCountMode: "explicit" });
      node.port.onmessage = (event) => onBlock(event.data);
      return node;
    } catch (err) {
      console.warn("AudioWorklet unavailable, using ScriptProcessor:", err);
    }
  }
  const node = ctx.createScriptProcessor(1024, 1, 1);
  node.onaudioprocess = (event) => onBlock(event.inputBuffer.getChannelData(0));
  return node;
}

function heard(block) {
  // a block of captured sound: to 16 kHz, queued for the next request
  if (!run || !run.token || run.ended) return;
  const samples = run.toRate(block);
  run.pending.push(samples);
  run.pendingLength += samples.length;
  run.captured += samples.length;
  run.marks.push([run.captured, performance.now()]);  // when each sample was heard
  if (run.marks.length > 400) run.marks.splice(0, 100);
  run.send();
}

function capture() {
  // the audio clock paces everything: a file plays into the graph in real time, silently
  const { ctx } = run;
  const mute = ctx.createGain();
  mute.gain.value = 0;
  run.source.connect(run.node).connect(mute).connect(ctx.destination);
  if (run.source.start) run.source.start();
}

function heardAt(sample) {
  // when the page captured audio sample `sample` (ms, performance.now's clock); null once forgotten
  for (const [end, time] of run.marks) if (end >= sample) return time - (1000 * (end - sample)) / RATE;
  return null;
}

function takePending() {
  const all = new Float32Array(run.pendingLength);
  let at = 0;
  for (const part of run.pending) { all.set(part, at); at += part.length; }
  run.pending = []; run.pendingLength = 0;
  const ints = new Int16Array(all.length);
  for (let i = 0; i < all.length; i++) ints[i] = Math.max(-32768, Math.min(32767, Math.round(all[i] * 32767)));
  return toBase64(new Uint8Array(ints.buffer));
}

function startSending() {
  // numbered requests, up to IN_FLIGHT at once (over a long round trip, audio waits less for the next one), sent
  // from the audio callback and from each answer: timers are slowed down in a background tab, audio is not
  const token = run.token;
  let part = 0, inFlight = 0, lastSent = false;
  const post = async (audio, last) => {
    inFlight += 1;
    let reply = null;
    try {
      reply = await server.live_push({ token, audio, part: part++, last });
    } catch (err) {
      reply = null;
    }
    inFlight -= 1;
    if (!run || run.token !== token) return;
    if (!reply) { finish("The connection to the server was lost; press Start again."); return; }
    for (const frame of reply.frames || []) receive(frame);
    if (reply.error) { finish(reply.error); return; }
    if (last) {  // the server has flushed the last frames: show them, then end
      run.token = null;
      const drained = () => (run && run.frames.length ? setTimeout(drained, 100) : finish("Finished."));
      drained();
      return;
    }
    run.send();  // the audio that came in meanwhile
  };
  run.send = () => {
    if (lastSent || inFlight >= IN_FLIGHT || (!run.pendingLength && !run.ended)) return;
    lastSent = run.ended;
    post(takePending(), lastSent);
  };
}

function receive(frame) {
  const now = performance.now();
  const heard = heardAt(Math.round(frame.time * RATE));
  // a frame is shown at base + its time, MARGIN_MS after it could be: a late frame moves the base later at once;
  // when every frame of the last second came early by more than the margin, the base moves earlier by half the
  // excess, at most 2 frames (shown a little faster, none skipped). Frames come in bursts, one per run of the
  // motion models: the base settles on the latest of a burst.
  const due = run.base === null ? null : run.base + 1000 * frame.time;
  if (due === null || due < now) run.base = now + MARGIN_MS - 1000 * frame.time;
  else {
    run.slack = Math.min(run.slack ?? Infinity, due - now);
    if (frame.index % 25 === 0) {
      if (run.slack > MARGIN_MS) run.base -= Math.min(80, (run.slack - MARGIN_MS) / 2);
      run.slack = Infinity;
    }
  }
  const blob = new Blob([fromBase64(frame.jpeg)], { type: "image/jpeg" });
  const item = { ...frame, heard, arrived: now, due: run.base + 1000 * frame.time, bitmap: null };
  createImageBitmap(blob).then((bitmap) => { item.bitmap = bitmap; });
  run.frames.push(item);
  if (run.frames.length > 1 && run.frames[run.frames.length - 2].index > item.index) {
    run.frames.sort((a, b) => a.index - b.index);
  }
  if (frame.audio && run.kind === "file") play(item);
}

function play(item) {
  const ints = new Int16Array(fromBase64(item.audio).buffer);
  const buffer = run.ctx.createBuffer(1, ints.length, RATE);
  buffer.getChannelData(0).set(Float32Array.from(ints, (v) => v / 32768));
  const node = run.ctx.createBufferSource();
  node.buffer = buffer;
  node.connect(run.ctx.destination);
  const at = run.ctx.currentTime + (item.due - performance.now()) / 1000 - (run.ctx.outputLatency || 0);
  const from = Math.max(at, run.playFrom, run.ctx.currentTime);
  node.start(from);
  run.playFrom = from + buffer.duration;
}

function show() {
  if (run) {
    const now = performance.now();
    // the oldest frame that is due, one a screen refresh; more than 3 due at once: skip to catch up
    while (run.frames.length > 3 && run.frames[3].due <= now) { run.frames.shift(); run.dropped += 1; }
    const latest = run.frames.length && run.frames[0].due <= now && run.frames[0].bitmap ? run.frames.shift() : null;
    if (latest) {
      draw.drawImage(latest.bitmap, 0, 0, view.width, view.height);
      run.shown += 1;
      run.shownTimes.push(now);
      if (run.shownTimes.length > 51) run.shownTimes.shift();
      if (latest.heard !== null) run.delays.push(now - latest.heard);
      if (run.delays.length > 50) run.delays.shift();
      if (window.styleheadLiveLog) window.styleheadLiveLog.push(record(latest, now));  // a test's or benchmark's
      if (run.shown % 25 === 0) report();
    }
  }
  requestAnimationFrame(show);
}

function record(frame, shown) {
  // what a test or benchmark reads back: the frame, when it was shown, when its sound was heard, how loud it was
  const ints = frame.audio ? new Int16Array(fromBase64(frame.audio).buffer) : new Int16Array(0);
  let sum = 0;
  for (const v of ints) sum += (v / 32768) ** 2;
  return { index: frame.index, time: frame.time, shown, heard: frame.heard, arrived: frame.arrived, jpeg: frame.jpeg,
           loudness: ints.length ? Math.sqrt(sum / ints.length) : 0 };
}

function report() {
  const times = run.shownTimes, seconds = (times[times.length - 1] - times[0]) / 1000;  // the last 50 frames
  const sorted = [...run.delays].sort((a, b) => a - b);
  const delay = sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
  say(`Live: ${((times.length - 1) / seconds).toFixed(0)} frames a second, ${delay.toFixed(0)} ms behind the sound.`);
}

function finish(message) {
  if (!run) { say(message); return; }
  const ending = run;
  run = null;
  if (ending.token) server.live_stop({ token: ending.token }).catch(() => {});
  if (ending.stream) ending.stream.getTracks().forEach((track) => track.stop());
  ending.ctx.close().catch(() => {});
  startButton.disabled = false;
  stopButton.disabled = true;
  say(message);
}

watch("value", () => {
  // the server's answer to Start: {attempt, token, fps, width, height, note} or {attempt, error}
  if (!props.value) return;
  const answer = JSON.parse(props.value);
  if (!run || run.token || answer.attempt !== run.attempt) {  // stopped (or started again) meanwhile
    if (answer.token) server.live_stop({ token: answer.token }).catch(() => {});
    return;
  }
  if (answer.error) { finish(answer.error); return; }
  view.width = answer.width; view.height = answer.height;
  run.token = answer.token;
  say(answer.note || "Live: speak now.");
  startSending();
  capture();
});

startButton.addEventListener("click", begin);
stopButton.addEventListener("click", () => finish("Stopped."));
requestAnimationFrame(show);
