using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Operations;
using NewsBot.Core.Ports;

namespace NewsBot.Cli;

/// <summary><c>feeds add URL | list | remove URL | poll</c>.</summary>
public static class FeedsCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var cmd = new Command("feeds", "Manage the RSS/Atom feeds the worker polls");

        var addUrl = new Argument<string>("url") { Description = "Feed URL" };
        var add = new Command("add", "Register a feed (checked to be a readable RSS/Atom feed)") { addUrl };
        add.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var r = await sp.GetRequiredService<FeedRegistration>().AddAsync(parse.GetValue(addUrl)!, "cli", trusted: true, token);
            if (r.Outcome == AddFeedOutcome.InvalidUrl)
            {
                output.Error(r.Error == FeedUrl.NotHttp ? $"feeds add: '{r.Url}' is not an http(s) URL." : $"feeds add: '{r.Url}' is not usable: {r.Error}.");
                return 2;
            }
            if (r.Outcome == AddFeedOutcome.NotAFeed)
            {
                if (output.Json) output.WriteJson(new { url = r.Url, added = false, error = r.Error });
                else output.Error($"Not added: {r.Error}");
                return 1;
            }
            var added = r.Outcome == AddFeedOutcome.Added;
            if (output.Json) output.WriteJson(new { url = r.Url, added, title = r.Title, error = (string?)null });
            else output.Line(added ? $"Added feed: {r.Title ?? r.Url}" : $"Already registered: {r.Url}");
            return 0;
        }));

        var list = new Command("list", "List registered feeds and their state");
        list.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var feeds = await sp.GetRequiredService<IFeedStore>().ListFeedsAsync(token);
            if (output.Json)
            {
                output.WriteJson(new
                {
                    feeds = feeds.Select(f => new
                    {
                        url = f.Url,
                        title = f.Title,
                        added_by = f.AddedBy,
                        last_polled = CliOutput.IsoDate(f.LastPolledAt),
                        last_success = CliOutput.IsoDate(f.LastSuccessAt),
                        last_error = f.LastError,
                        consecutive_failures = f.ConsecutiveFailures,
                        items_ingested = f.ItemsIngested,
                        skipped_last_poll = f.LastPollSkipped,
                        skipped_why = f.LastPollSkippedWhy,
                    }),
                });
            }
            else if (feeds.Count == 0) output.Line("No feeds registered. Add one with `newsbot feeds add URL`.");
            else
            {
                foreach (var f in feeds)
                {
                    var state = f.LastError is not null ? $"error: {f.LastError}" : f.LastPolledAt is null ? "never polled" : $"polled {CliOutput.IsoDate(f.LastPolledAt)}";
                    output.Line($"{f.Title ?? "(untitled)"} — {f.Url}");
                    var skipped = f.LastPollSkipped > 0 ? $", {f.LastPollSkipped} skipped in the last poll: {f.LastPollSkippedWhy}"
                        : f.LastPollSkippedWhy is { } note ? $", last poll: {note}" : "";
                    output.Line($"    {f.ItemsIngested} items, {state}{skipped}");
                }
            }
            return 0;
        }));

        var removeUrl = new Argument<string>("url") { Description = "Feed URL" };
        var remove = new Command("remove", "Unregister a feed (its articles stay)") { removeUrl };
        remove.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var url = parse.GetValue(removeUrl)!.Trim();
            var removed = await sp.GetRequiredService<FeedRegistration>().RemoveAsync(url, "cli", token);
            if (output.Json) output.WriteJson(new { url, removed });
            else output.Line(removed ? $"Removed {url}" : $"Not registered: {url}");
            return removed ? 0 : 1;
        }));

        var poll = new Command("poll", "Poll every registered feed once and ingest new items");
        poll.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var feeds = await sp.GetRequiredService<IFeedStore>().ListFeedsAsync(token);
            var poller = sp.GetRequiredService<IFeedPoller>();
            var pipeline = sp.GetRequiredService<IngestionPipeline>();
            var perFeed = new List<object>();
            var total = new IngestSummary();
            foreach (var feed in feeds)
            {
                var summary = new IngestSummary();
                var errors = new List<string>();
                await foreach (var r in pipeline.IngestItemsAsync(poller.PollAsync(feed, token), token))
                {
                    summary.Count(r);
                    total.Count(r);
                    if (r.Error is not null) errors.Add($"{r.Input}: {r.Error}");
                    if (!output.Json && r.Status is IngestStatus.Added or IngestStatus.Updated) output.Line($"  {r.Status.ToString().ToLowerInvariant()} {r.Article?.Title}");
                }
                if (!output.Json) output.Line($"{feed.Title ?? feed.Url}: {summary.Added} added, {summary.Updated} updated, {summary.Unchanged + summary.Duplicate} known, {summary.Failed} failed");
                perFeed.Add(new { url = feed.Url, added = summary.Added, updated = summary.Updated, unchanged = summary.Unchanged, duplicate = summary.Duplicate, failed = summary.Failed, errors });
            }
            await IngestCommand.RefreshSearchStructuresAsync(sp, total, token);
            if (output.Json) output.WriteJson(new { feeds = perFeed, summary = new { added = total.Added, updated = total.Updated, unchanged = total.Unchanged, duplicate = total.Duplicate, failed = total.Failed } });
            else if (feeds.Count == 0) output.Line("No feeds registered.");
            return 0;
        }));

        cmd.Subcommands.Add(add);
        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(remove);
        cmd.Subcommands.Add(poll);
        return cmd;
    }
}
