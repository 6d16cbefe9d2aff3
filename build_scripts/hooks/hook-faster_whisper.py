"""faster-whisper's voice activity detector, assets/silero_vad_v6.onnx, is read from beside the
package."""

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

datas = collect_data_files("faster_whisper") + copy_metadata("faster-whisper")
