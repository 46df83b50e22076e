import factory

from agencies.models import Agency, AgencyAlias, Jurisdiction, User


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("name",)

    name = "济南市"
    level = Jurisdiction.Level.CITY
    prefix = "市"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("jurisdiction", "name")

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    name = factory.Sequence(lambda n: f"市测试{n}局")


class AliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyAlias

    agency = factory.SubFactory(AgencyFactory)
    jurisdiction = factory.SelfAttribute("agency.jurisdiction")
    name = factory.Sequence(lambda n: f"市测{n}局")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    agency = factory.SubFactory(AgencyFactory)
    role = User.Role.STAFF


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "measures.PolicyDocument"

    title = factory.Sequence(lambda n: f"测试实施意见{n}")
    jurisdiction = factory.SubFactory(JurisdictionFactory)
    coordinator = factory.SubFactory(AgencyFactory, jurisdiction=factory.SelfAttribute("..jurisdiction"))
    source_name = factory.Sequence(lambda n: f"doc{n}.txt")
    source_hash = factory.Sequence(lambda n: f"{n:064x}")
    raw_text = "正文"


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "measures.Measure"

    document = factory.SubFactory(DocumentFactory)
    ref = factory.Sequence(lambda n: f"1.{n}")
    title = factory.Sequence(lambda n: f"措施{n}")
    text = "加快建设平台。"
    order = factory.Sequence(lambda n: n)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tracker.Task"

    measure = factory.SubFactory(MeasureFactory)
    document = factory.SelfAttribute("measure.document")
    due_date = None
    original_due_date = factory.SelfAttribute("due_date")


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tracker.Assignment"

    task = factory.SubFactory(TaskFactory)
    agency = factory.SubFactory(AgencyFactory, jurisdiction=factory.SelfAttribute("..task.document.jurisdiction"))
    role = "lead"
