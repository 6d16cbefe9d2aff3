import requests
import time

API_KEY = "YOUR_API_KEY"
BASE_URL = "https://useapexstudio.com"
HEADERS = {
    "Authorization": f"Bearer {API_KEY}",
    "Content-Type": "application/json",
}

# 1. Submit generation job
resp = requests.post(f"{BASE_URL}/api/generate/image", headers=HEADERS, json={
    "prompt": "A futuristic city skyline at sunset, photorealistic",
    "width": 1024,
    "height": 1024,
    "model": "flux-2-pro",
})
resp.raise_for_status()
job_id = resp.json()["data"]["jobId"]

# 2. Check rate limit headers
print(f"Remaining requests: {resp.headers.get('X-RateLimit-Remaining')}")

# 3. Poll for completion (or use webhooks)
while True:
    status = requests.get(f"{BASE_URL}/api/jobs?id={job_id}", headers=HEADERS)
    job = status.json()["data"]
    if job["status"] in ("completed", "failed"):
        break
    time.sleep(2)

print(f"Output: {job.get('outputUrl')}")
