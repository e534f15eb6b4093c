using System.Text.Json;
using NewsBot.Cli;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>appsettings.example.json is the configuration reference: it must load, validate, and name every key.</summary>
public sealed class ConfigurationDocsTests
{
    static readonly string ExamplePath = Path.Combine(TestPaths.RepoRoot, "appsettings.example.json");

    static readonly (string Section, Type Options)[] Sections =
    [
        ("Storage", typeof(NewsBot.Hosting.StorageOptions)),
        ("Embeddings", typeof(NewsBot.Hosting.EmbeddingsOptions)),
        ("Index", typeof(NewsBot.Hosting.IndexOptions)),
        ("Index", typeof(NewsBot.Core.Retrieval.RetrievalOptions)),
        ("Ingestion", typeof(NewsBot.Core.Ingestion.IngestionOptions)),
        ("Answering", typeof(NewsBot.Core.Answering.AnsweringOptions)),
        ("Llm", typeof(NewsBot.OpenAI.LlmOptions)),
        ("Telegram", typeof(NewsBot.Telegram.TelegramOptions)),
        ("Qdrant", typeof(NewsBot.Qdrant.QdrantOptions)),
        ("Resilience", typeof(NewsBot.Hosting.ResilienceOptions)),
        ("Stories", typeof(NewsBot.Core.Stories.StoryOptions)),
        ("Digest", typeof(NewsBot.Core.Digests.DigestOptions)),
        ("Follows", typeof(NewsBot.Core.Follows.FollowOptions)),
    ];

    [Fact]
    public void The_example_documents_every_setting_of_every_section()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(ExamplePath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var missing = new List<string>();
        foreach (var (section, type) in Sections)
        {
            Assert.True(doc.RootElement.TryGetProperty(section, out var element), $"section {section} is missing");
            foreach (var p in type.GetProperties().Where(p => p.CanWrite && p.SetMethod!.IsPublic))
                if (!element.TryGetProperty(p.Name, out _)) missing.Add($"{section}:{p.Name}");
        }
        Assert.True(missing.Count == 0, "not in appsettings.example.json: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task The_example_copied_to_appsettings_json_loads_and_validates()
    {
        var work = Directory.CreateTempSubdirectory("newsbot-config-").FullName;
        try
        {
            File.Copy(ExamplePath, Path.Combine(work, "appsettings.json"));
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var exit = await new NewsBotCli(stdout, stderr, work).RunAsync(["sources", "--json"]);
            Assert.True(exit == 0, stderr.ToString());
            Assert.True(File.Exists(Path.Combine(work, "data", "newsbot.db")), "Storage:DataDirectory from the example was not used");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, true);
        }
    }
}
