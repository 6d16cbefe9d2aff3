"""Phone calls for the voice agent: a SIP user agent on a trunk or PBX (aiosipua, MIT), RTP audio
in G.711 u-law or A-law with RFC 4733 DTMF (aiortp, MIT), and the conversation loop that listens,
transcribes, asks the writer and speaks, over a phone call or the studio's browser audio alike.

Nothing here touches the database: the product (`products/voice_agent`) gives a call its agent,
its engine context and the hooks that charge minutes and record the transcript."""
