namespace NewsBot.UnitTests.Sources;

/// <summary>Hand-written pages and feeds for the sources tests (invented news, no real outlet's text).</summary>
internal static class TestPages
{
    /// <summary>
    /// A news page with everything a real one carries around its article: skip link, site header and
    /// navigation, cookie banner, share buttons, byline and date, a figure, an inline "related" box,
    /// a newsletter pitch, comments, a "most read" sidebar and a footer; og tags, JSON-LD and a
    /// canonical link with tracking parameters.
    /// </summary>
    public const string NewsPage = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>Harbour bridge reopens after two-year repair - The Coastal Ledger</title>
          <meta property="og:title" content="Harbour bridge reopens after two-year repair | The Coastal Ledger">
          <meta property="og:site_name" content="The Coastal Ledger">
          <meta property="og:url" content="https://www.coastal-ledger.example/news/2024/harbour-bridge-reopens">
          <meta property="article:published_time" content="2024-03-05T08:30:00+01:00">
          <link rel="canonical" href="/news/2024/harbour-bridge-reopens/?utm_source=twitter&amp;utm_medium=social&amp;id=77">
          <link rel="alternate" type="application/rss+xml" href="/feeds/news.xml" title="News">
          <script type="application/ld+json">
          {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "Harbour bridge reopens after two-year repair",
            "datePublished": "2024-03-05T08:30:00+01:00",
            "author": [{"@type": "Person", "name": "Marta Quill"}],
            "publisher": {"@type": "Organization", "name": "The Coastal Ledger"}
          }
          </script>
          <script>window.analytics = { track: function () {} };</script>
          <style>.cookie-banner { position: fixed; }</style>
        </head>
        <body>
          <a class="skip-link" href="#main">Skip to content</a>
          <div id="cookie-banner" class="cookie-banner">
            <p>We use cookies to improve your experience. By continuing to browse you accept our cookie policy and the use of tracking technologies on this website.</p>
            <button>Accept all</button> <button>Reject all</button>
          </div>
          <header class="site-header">
            <div class="logo">The Coastal Ledger</div>
            <nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav>
          </header>
          <main id="main">
            <article>
              <header>
                <h1>Harbour bridge reopens after two-year repair</h1>
                <p class="byline">By <a rel="author" href="/people/marta-quill">Marta Quill</a></p>
                <time datetime="2024-03-05T08:30:00+01:00">5 March 2024</time>
              </header>
              <div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Share on X</a> <a href="#">Email</a></div>
              <figure><img src="/img/bridge.jpg" alt="The bridge"><figcaption>The bridge at dawn. Photo: Ledger staff</figcaption></figure>
              <div class="article-body">
                <p>The Harbour Bridge reopened to traffic on Tuesday morning after a repair programme that lasted almost two years and cost the city 48 million euros.</p>
                <p>Engineers replaced all 212 suspension cables and the steel deck plates, which inspectors had found badly corroded during a routine survey in 2021.</p>
                <aside class="related-links"><h3>Related stories</h3><ul><li><a href="/a">Ferry timetable extended during works</a></li><li><a href="/b">Council approves bridge budget</a></li></ul></aside>
                <h2>Traffic returns</h2>
                <p>By eight o'clock the first buses were crossing again, and the ferry operator said it would return to its normal winter timetable next week.</p>
                <p>Mayor Ilse Brandt called the reopening "a relief for every commuter on the east bank" and thanked residents for their patience.</p>
                <ul>
                  <li>Cycle lanes on both sides are now separated from traffic by a kerb.</li>
                  <li>The speed limit on the bridge has been lowered to 40 km/h.</li>
                </ul>
              </div>
              <div class="newsletter-signup"><p>Get the morning briefing: sign up to our free newsletter and never miss a story from the coast.</p><input type="email"><button>Subscribe</button></div>
              <section id="comments" class="comments"><h3>12 comments</h3><p>Reader One: Finally! I have been driving around the bay for two years and it added forty minutes each way.</p></section>
            </article>
          </main>
          <aside class="sidebar most-read"><h3>Most read</h3><ol><li><a href="/c">Storm warning for the weekend</a></li><li><a href="/d">Fish market to close</a></li></ol></aside>
          <footer class="site-footer"><p>© 2024 The Coastal Ledger. All rights reserved.</p><p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></p></footer>
        </body>
        </html>
        """;
}
