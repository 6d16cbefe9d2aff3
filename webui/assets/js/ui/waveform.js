// A waveform of an audio output, drawn on a canvas from the decoded audio itself. Decoding uses an
// OfflineAudioContext, which needs no user gesture (a live AudioContext would). Clicking the
// waveform seeks the player; the player's own controls remain the keyboard way.

import { h } from '../dom.js';

const SAMPLE_RATE = 8000; // plenty for a picture of the envelope, and fast to decode

async function decode(url) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`audio ${response.status}`);
  const data = await response.arrayBuffer();
  const context = new OfflineAudioContext(1, 1, SAMPLE_RATE);
  return context.decodeAudioData(data);
}

function peaks(buffer, columns) {
  const channel = buffer.getChannelData(0);
  const size = Math.max(1, Math.floor(channel.length / columns));
  const out = new Float32Array(columns);
  for (let c = 0; c < columns; c += 1) {
    let max = 0;
    const end = Math.min(channel.length, (c + 1) * size);
    for (let i = c * size; i < end; i += 1) max = Math.max(max, Math.abs(channel[i]));
    out[c] = max;
  }
  return out;
}

function draw(canvas, values) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 300;
  const height = canvas.clientHeight || 96;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  ctx.scale(ratio, ratio);
  ctx.fillStyle = getComputedStyle(canvas).color;
  const top = Math.max(...values, 0.001);
  const step = width / values.length;
  values.forEach((v, i) => {
    const bar = Math.max(1, (v / top) * (height - 4));
    ctx.fillRect(i * step, (height - bar) / 2, Math.max(1, step - 1), bar);
  });
}

export function waveform(url, audio) {
  const canvas = h('canvas', { class: 'waveform', role: 'img', 'aria-label': 'Waveform of the audio' });
  canvas.addEventListener('click', (event) => {
    if (!audio.duration) return;
    const rect = canvas.getBoundingClientRect();
    audio.currentTime = ((event.clientX - rect.left) / rect.width) * audio.duration;
  });
  decode(url)
    .then((buffer) => {
      // Drawn once laid out, so the canvas knows its width.
      requestAnimationFrame(() => draw(canvas, peaks(buffer, Math.max(60, Math.floor((canvas.clientWidth || 300) / 3)))));
      canvas.dataset.drawn = 'true';
    })
    .catch(() => { canvas.setAttribute('aria-label', 'Waveform unavailable'); canvas.dataset.drawn = 'failed'; });
  return canvas;
}
