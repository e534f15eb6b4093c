using NewsBot.Core.Model;

namespace NewsBot.UnitTests.Answering;

/// <summary>Search hits over invented stories, for the learned answerers' tests (one passage an article).</summary>
static class InventedHits
{
    public static SearchHit Hit(string id, string title, string text, int year = 2019) => new()
    {
        Article = new() { Id = id, Title = title, Url = $"https://news.test/{id}", Outlet = "Test Outlet", Published = new DateTimeOffset(year, 5, 2, 9, 0, 0, TimeSpan.Zero) },
        Position = 0, Text = text,
    };
}
