"""Instant ads: a product page read into facts, `count` variations of ad copy written under a JSON
schema, and each drawn as an image creative at the platform's size and/or made into a short video ad.

    page.read_page(html, url)          -> ProductFacts (trafilatura text, extruct JSON-LD/OpenGraph)
    copywriting.write_variations(...)  -> [Variation(headline, body, callToAction, angle)]
    pictures                           product picture (cut out, else on a panel), logo, background
    creative.draw_creative(...)        -> the PNG's picture
    video.make_video(...)              -> a short MP4 through the composition engine
    engine.InstantAdEngine             the job: the steps above in order

Heavy libraries (PIL, numpy, trafilatura, extruct, av) are imported inside functions only.
"""
