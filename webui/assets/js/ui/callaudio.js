// The studio's test call audio: the microphone as 16-bit mono PCM at 16 kHz sent on a WebSocket,
// and the agent's PCM played as it arrives, each piece scheduled right after the one before (a
// "clear" from the server stops what is scheduled: the caller talked over the agent).

const RATE = 16000;
const LEAD_S = 0.06; // how far ahead of now a piece that arrives late is scheduled

// Make the context in the click's own task (browsers start one made later suspended), then open.
export const newCallContext = () => new AudioContext({ sampleRate: RATE });

export async function openCallAudio(socket, ctx, onSent = () => {}) {
  // Echo cancellation stays on (the agent must not hear itself); the browser's noise suppression
  // is off: Whisper hears the raw voice better than its output ("any bread left" came back as
  // "a great luck" with it on).
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: true },
  });
  await ctx.resume();
  const source = ctx.createMediaStreamSource(stream);
  // A ScriptProcessor rather than an AudioWorklet: a worklet is a module the page's CSP would
  // have to allow, and 64 ms blocks are fine for a test call.
  const processor = ctx.createScriptProcessor(1024, 1, 1);
  processor.addEventListener('audioprocess', (event) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    const input = event.inputBuffer.getChannelData(0);
    const pcm = new Int16Array(input.length);
    for (let i = 0; i < input.length; i += 1) pcm[i] = Math.max(-1, Math.min(1, input[i])) * 32767;
    socket.send(pcm.buffer);
    onSent(pcm.length);
  });
  source.connect(processor);
  processor.connect(ctx.destination); // a processor only runs connected; it writes no output

  let next = 0;
  const scheduled = new Set();
  return {
    play(buffer) {
      const pcm = new Int16Array(buffer);
      const audio = ctx.createBuffer(1, pcm.length, RATE);
      const channel = audio.getChannelData(0);
      for (let i = 0; i < pcm.length; i += 1) channel[i] = pcm[i] / 32768;
      const node = ctx.createBufferSource();
      node.buffer = audio;
      node.connect(ctx.destination);
      next = Math.max(next, ctx.currentTime + LEAD_S);
      node.start(next);
      next += audio.duration;
      scheduled.add(node);
      node.addEventListener('ended', () => scheduled.delete(node));
    },
    clear() {
      scheduled.forEach((node) => { try { node.stop(); } catch { /* already ended */ } });
      scheduled.clear();
      next = 0;
    },
    close() {
      this.clear();
      stream.getTracks().forEach((track) => track.stop());
      processor.disconnect();
      source.disconnect();
      ctx.close();
    },
  };
}
